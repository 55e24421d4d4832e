import Foundation
import GRDB
import Testing

@testable import Storage

/// `Database.readStatement` runs on its own read-only connections (``StatementReaders``), outside GRDB's pool.
@Suite struct StatementReadersTests {
    @Test func seesEveryCommittedWriteAndNeverMoreConnectionsThanReaders() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger, maximumReaderCount: 2)
        defer { try? database.close() }
        try await database.write(kind: "test") { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY)") }
        for n in 1...20 {
            try await database.write(kind: "test") { db in try db.execute(sql: "INSERT INTO t (n) VALUES (?)", arguments: [n]) }
            // Read-your-writes from another connection: the statement starts after the commit.
            let count = try await database.readStatement(kind: "test") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") }
            #expect(count == n)
        }
        // Many at once: the read dispatcher runs two at a time, so two connections serve them all.
        let sums = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    try await database.readStatement(kind: "test") { db in try Int.fetchOne(db, sql: "SELECT SUM(n) FROM t") ?? -1 }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(sums == Array(repeating: 210, count: 64))
        #expect(database.statementReaders.openedCount <= 2)
        // Read-only: a write through them fails.
        await #expect(throws: StorageError.self) {
            try await database.readStatement(kind: "test") { db in try db.execute(sql: "INSERT INTO t (n) VALUES (99)") }
        }
    }

    @Test func closedDatabaseRefusesStatementReads() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        _ = try await database.readStatement(kind: "test") { db in try Int.fetchOne(db, sql: "SELECT 1") }
        try database.close()
        let error = await #expect(throws: StorageError.self) {
            _ = try await database.readStatement(kind: "test") { db in try Int.fetchOne(db, sql: "SELECT 1") }
        }
        #expect(error?.code == .queryFailed)
    }
}
