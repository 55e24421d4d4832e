import Foundation
import GRDB
import MetricsTestKit
import Testing

@testable import Storage

@Suite struct DatabaseTests {
    @Test func opensInWALWithConfiguredPragmas() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        let (journal, synchronous, foreignKeys) = try await database.read(kind: "test") { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1,
                try Int.fetchOne(db, sql: "PRAGMA foreign_keys") ?? -1
            )
        }
        #expect(journal == "wal")
        #expect(synchronous == 1)  // NORMAL
        #expect(foreignKeys == 1)
        // Sub-journals of savepoints (group commit) and sorter spills in memory, on readers and the writer.
        let readerTempStore = try await database.read(kind: "test") { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") }
        let writerTempStore = try await database.write(kind: "test") { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") }
        #expect(readerTempStore == 2)  // MEMORY
        #expect(writerTempStore == 2)
        try database.close()
    }

    @Test func openFailureIsAClearError() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = dir.url.appendingPathComponent("missing/dir/pds.sqlite").path
        let error = await #expect(throws: StorageError.self) {
            _ = try await Storage.Database.open(path: path, logger: testLogger)
        }
        #expect(error?.code == .openFailed)
        #expect(error?.message.contains(path) == true)
    }

    @Test func notADatabaseFileIsRefused() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: dir.databasePath))
        let error = await #expect(throws: StorageError.self) {
            _ = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        }
        #expect(error?.code == .openFailed)
    }

    @Test func metricsRecordDurationsAndErrorsPerKind() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let metrics = TestMetrics()
        let database = try await Storage.Database.open(path: dir.databasePath, metricsFactory: metrics, logger: testLogger)
        try await database.migrate()
        try await database.setMeta("greeting", "hello")
        #expect(try await database.meta("greeting") == "hello")
        #expect(try await database.meta("absent") == nil)
        await #expect(throws: StorageError.self) {
            try await database.read(kind: "broken") { db in try db.execute(sql: "SELECT * FROM nowhere") }
        }

        let migrate = try metrics.expectTimer("pds_db_query_duration_seconds", [("kind", "migrate")])
        #expect(migrate.values.count == 1)
        let meta = try metrics.expectTimer("pds_db_query_duration_seconds", [("kind", "meta")])
        #expect(meta.values.count == 3)
        #expect(meta.values.allSatisfy { $0 >= 0 })
        let broken = try metrics.expectCounter("pds_db_errors_total", [("kind", "broken")])
        #expect(broken.totalValue == 1)
        // Error counters exist from the first use of a kind, at zero until something fails.
        #expect(try metrics.expectCounter("pds_db_errors_total", [("kind", "meta")]).totalValue == 0)
        try database.close()
    }

    @Test func storageErrorThrownInsideBodyPassesThrough() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        let error = await #expect(throws: StorageError.self) {
            try await database.write(kind: "test") { _ in
                throw StorageError(.invalidMigration, "custom")
            }
        }
        #expect(error?.code == .invalidMigration)
        #expect(error?.message == "custom")
        try database.close()
    }

    @Test func writeRollsBackWhenBodyThrows() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        try await database.migrate()
        await #expect(throws: StorageError.self) {
            try await database.write(kind: "test") { db in
                try db.execute(sql: "INSERT INTO server_meta (key, value) VALUES ('k', 'v')")
                try db.execute(sql: "INSERT INTO server_meta (key, value) VALUES ('k', 'again')")
            }
        }
        #expect(try await database.meta("k") == nil)
        try database.close()
    }

    @Test func roundTripAndPingSucceedOnHealthyDatabase() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        try await database.migrate()
        try await database.ping()
        try await database.roundTrip()
        try await database.roundTrip()
        try database.close()
    }

    @Test func roundTripFailsWhenFileIsDeletedWhileOpen() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        try await database.migrate()
        try FileManager.default.removeItem(atPath: dir.databasePath)
        let error = await #expect(throws: StorageError.self) { try await database.roundTrip() }
        #expect(error?.code == .fileReplaced)
        try database.close()
    }

    @Test func roundTripFailsWhenFileIsReplacedWhileOpen() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        try await database.migrate()
        let other = dir.url.appendingPathComponent("other.sqlite").path
        #expect(FileManager.default.createFile(atPath: other, contents: Data()))
        #expect(rename(other, dir.databasePath) == 0)
        let error = await #expect(throws: StorageError.self) { try await database.roundTrip() }
        #expect(error?.code == .fileReplaced)
        try database.close()
    }

    @Test func roundTripFailsWithoutMigrations() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        let error = await #expect(throws: StorageError.self) { try await database.roundTrip() }
        #expect(error?.code == .queryFailed)
        try database.close()
    }

    @Test func fileSizesAndGauges() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let metrics = TestMetrics()
        let database = try await Storage.Database.open(path: dir.databasePath, metricsFactory: metrics, logger: testLogger)
        try await database.migrate()
        try await database.setMeta("blob", String(repeating: "x", count: 100_000))
        let sizes = database.fileSizes()
        #expect(sizes.wal > 100_000)
        #expect(sizes.database >= 0)
        database.recordFileSizes()
        #expect(try metrics.expectGauge("pds_sqlite_wal_bytes").lastValue == Double(sizes.wal))
        #expect(try metrics.expectGauge("pds_sqlite_db_bytes").lastValue == Double(sizes.database))
        try database.close()
    }

    @Test func concurrentReadsAndWrites() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        try await database.migrate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask { try await database.setMeta("k\(i)", "v\(i)") }
                group.addTask { _ = try await database.meta("k\(i)") }
            }
            try await group.waitForAll()
        }
        let count = try await database.read(kind: "test") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM server_meta WHERE key LIKE 'k%'")
        }
        #expect(count == 20)
        try database.close()
    }
}
