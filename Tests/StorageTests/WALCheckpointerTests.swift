import Foundation
import GRDB
import MetricsTestKit
import Testing

@testable import Storage

/// The WAL is checkpointed beside the writer (background) and finished by a short catch-up in a commit, after which
/// the WAL starts over; SQLite's automatic checkpoint is off on the writer.
@Suite struct WALCheckpointerTests {
    private static func checkpoints(_ metrics: TestMetrics, _ trigger: String) -> Int {
        (try? metrics.expectTimer("pds_sqlite_checkpoint_duration_seconds", [("trigger", trigger)]).values.count) ?? 0
    }

    private static func insert(_ database: Storage.Database, _ index: Int) async throws {
        try await database.write(kind: "test") { db in
            try db.execute(sql: "INSERT INTO filler (id, payload) VALUES (?, ?)", arguments: [index, Data(repeating: UInt8(index % 251), count: 6000)])
        }
    }

    @Test func checkpointsBesideTheWriterAndRestartsTheWAL() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let metrics = TestMetrics()
        let database = try await Storage.Database.open(
            path: dir.databasePath, metricsFactory: metrics, logger: testLogger, walCheckpointPages: 64)
        #expect(try await database.writeWithoutTransaction(kind: "test") { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") } == 0)
        try await database.write(kind: "test") { db in
            try db.execute(sql: "CREATE TABLE filler (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
        }

        // ~3 pages per commit: 100 commits cross the 64-page threshold several times.
        var written = 0
        for _ in 0..<100 {
            try await Self.insert(database, written)
            written += 1
        }
        // The background checkpoint runs on its own queue; then a commit runs the catch-up.
        var rounds = 0
        while Self.checkpoints(metrics, "catchup") == 0 && rounds < 2_000 {
            try await Task.sleep(for: .milliseconds(5))
            try await Self.insert(database, written)
            written += 1
            rounds += 1
        }
        #expect(Self.checkpoints(metrics, "background") >= 1)
        #expect(Self.checkpoints(metrics, "catchup") >= 1)

        // After the catch-up the WAL is fully copied, so the next write starts it over: it holds only that write.
        try await Self.insert(database, written)
        written += 1
        let walFrames = try await database.writeWithoutTransaction(kind: "test") { db in
            try db.checkpoint(.passive).walFrameCount
        }
        #expect(walFrames < 64, "the WAL should have started over, it holds \(walFrames) frames")

        let count = try await database.read(kind: "test") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM filler") }
        #expect(count == written)
        try database.close()

        // Reopened (SQLite's recovery path), every row is there.
        let reopened = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        #expect(try await reopened.read(kind: "test") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM filler") } == written)
        try reopened.close()
    }
}
