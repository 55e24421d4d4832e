import Foundation
import GRDB
import MetricsTestKit
import Synchronization
import Testing

@testable import Storage

/// The WAL is checkpointed beside the writer (background) and finished by short catch-ups in the following commits
/// until it starts over; SQLite's automatic checkpoint is off on the writer. Readers running all along may delay a
/// start-over, never prevent it for good; without them the WAL stays within a few thresholds.
@Suite struct WALCheckpointerTests {
    final class StopFlag: Sendable {
        let value = Atomic<Bool>(false)
    }

    private static func checkpoints(_ metrics: TestMetrics, _ trigger: String) -> Int {
        (try? metrics.expectTimer("pds_sqlite_checkpoint_duration_seconds", [("trigger", trigger)]).values.count) ?? 0
    }

    private static func insert(_ database: Storage.Database, _ index: Int) async throws {
        try await database.write(kind: "test") { db in
            try db.execute(
                sql: "INSERT INTO filler (id, payload) VALUES (?, ?)", arguments: [index, Data(repeating: UInt8(index % 251), count: 6000)])
        }
    }

    @Test func checkpointsBesideTheWriterAndTheWALKeepsStartingOver() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let metrics = TestMetrics()
        let threshold = 64
        let database = try await Storage.Database.open(
            path: dir.databasePath, metricsFactory: metrics, logger: testLogger, walCheckpointPages: threshold)
        #expect(try await database.writeWithoutTransaction(kind: "test") { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") } == 0)
        try await database.write(kind: "test") { db in
            try db.execute(sql: "CREATE TABLE filler (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
        }

        // Point reads all along, as a busy server has them.
        let stop = StopFlag()
        let readers = (0..<2).map { _ in
            Task {
                var reads = 0
                while !stop.value.load(ordering: .relaxed) {
                    _ = try await database.read(kind: "test") { [reads] db in
                        try Int.fetchOne(db, sql: "SELECT id FROM filler WHERE id = ?", arguments: [reads % 400])
                    }
                    reads += 1
                }
                return reads
            }
        }
        // About 3 pages per commit: 400 commits write the WAL's threshold over many times.
        let commits = 400
        for index in 0..<commits { try await Self.insert(database, index) }
        stop.value.store(true, ordering: .relaxed)
        for reader in readers { #expect(try await reader.value > 0) }

        let withReaders = database.checkpointer.snapshot
        #expect(Self.checkpoints(metrics, "background") >= 1)
        #expect(Self.checkpoints(metrics, "catchup") >= 1)
        // A reader that began before a catch-up makes that start-over wait for the next commit; it still comes.
        #expect(withReaders.restarts >= 1, "the WAL started over \(withReaders.restarts) times")

        // Without readers, each background round's catch-ups start the WAL over before the next round begins, however
        // long the rounds take on a busy machine: the WAL holds at most what was written during one round and the
        // threshold after it.
        var written = commits
        database.checkpointer.resetStatistics()
        while database.checkpointer.snapshot.restarts < 3 && written < commits + 3_000 {
            try await Self.insert(database, written)
            written += 1
            try await Task.sleep(for: .milliseconds(1))
        }
        let alone = database.checkpointer.snapshot
        #expect(alone.restarts >= 3, "the WAL started over \(alone.restarts) times")
        #expect(alone.roundsBeforeRestart == 0, "\(alone.roundsBeforeRestart) of \(alone.backgroundRounds) rounds began before a start-over")

        let count = try await database.read(kind: "test") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM filler") }
        #expect(count == written)
        try database.close()

        // Reopened (SQLite's recovery path), every row is there.
        let reopened = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        #expect(try await reopened.read(kind: "test") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM filler") } == written)
        try reopened.close()
    }

    @Test func backToBackCommitsStillLetTheWALStartOver() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let threshold = 64
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger, walCheckpointPages: threshold)
        try await database.write(kind: "test") { db in
            try db.execute(sql: "CREATE TABLE filler (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
        }
        // Commits with no pause between them: the WAL grows past a background round's mark while the round runs
        // (its copies and syncs take longer than 20 commits). The commits after the round still get their window to
        // catch up and start the WAL over before the next round begins (before b5e1226 the next round began at once).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for index in 0..<400 { try await Self.insert(database, writer * 1_000 + index) }
                }
            }
            try await group.waitForAll()
        }
        // Which rounds overlap which commits depends on the scheduler; that every round is followed by a start-over
        // before the next one begins does not.
        let state = database.checkpointer.snapshot
        #expect(state.backgroundRounds >= 1)
        #expect(state.roundsBeforeRestart == 0, "\(state.roundsBeforeRestart) of \(state.backgroundRounds) rounds began before a start-over")
        #expect(state.restarts >= state.backgroundRounds - 1, "\(state.backgroundRounds) rounds, \(state.restarts) start-overs")
        try database.close()
    }
}
