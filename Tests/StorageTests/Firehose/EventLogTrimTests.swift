import ATProto
import Foundation
import GRDB
import Synchronization
import Testing

@testable import Storage

@Suite("Firehose log: trimming and commit notifications")
struct EventLogTrimTests {
    typealias Fixture = StoreFixture

    static let farFuture = Int64(4_000_000_000) * 1_000_000

    @Test func trimsInBatchesAndNeverTouchesTheHead() async throws {
        let f = try await Fixture.make()
        defer { f.close() }
        for name in ["a", "b", "c"] { try await f.account(name) }  // 4 events each
        let head = try #require(try await f.database.firehoseHead())
        let oldest = try #require(try await f.database.firehoseOldest())
        #expect(oldest.seq == head - 11)
        #expect(try await f.database.firehoseTrimmedThrough() == nil)

        // Nothing is older than the cutoff.
        #expect(try await f.database.trimFirehose(beforeMicros: oldest.timeMicros, batchSize: 5) == 0)

        #expect(try await f.database.trimFirehose(beforeMicros: Self.farFuture, batchSize: 5) == 5)
        #expect(try await f.database.firehoseOldest()?.seq == oldest.seq + 5)
        #expect(try await f.database.firehoseTrimmedThrough() == oldest.seq + 4)
        #expect(try await f.database.trimFirehose(beforeMicros: Self.farFuture, batchSize: 5) == 5)
        #expect(try await f.database.trimFirehose(beforeMicros: Self.farFuture, batchSize: 5) == 2)
        #expect(try await f.database.trimFirehose(beforeMicros: Self.farFuture, batchSize: 5) == 0)
        #expect(try await f.database.firehoseOldest() == nil)
        #expect(try await f.database.firehoseTrimmedThrough() == head)
        #expect(try await f.database.firehoseHead() == head)

        // The next event continues after the head, never reusing a trimmed number.
        let created = try await f.account("d")
        #expect(created.seqs == [head + 1, head + 2, head + 3, head + 4])
        #expect(try await f.database.firehoseTrimmedThrough() == head)
    }

    @Test func nextAndFirstAfterTimeFindTheRightEvents() async throws {
        let f = try await Fixture.make()
        defer { f.close() }
        let created = try await f.account("a")
        let seqs = created.seqs
        #expect(try await f.database.firehoseNext(after: 0)?.seq == seqs[0])
        #expect(try await f.database.firehoseNext(after: seqs[1])?.seq == seqs[2])
        #expect(try await f.database.firehoseNext(after: seqs[3]) == nil)
        let time = try #require(try await f.database.firehoseNext(after: 0)?.timeMicros)
        #expect(try await f.database.firehoseFirst(atOrAfterMicros: time) == seqs[0])
        #expect(try await f.database.firehoseFirst(atOrAfterMicros: time + 1) == nil)
    }

    @Test func commitObserverFiresAfterEventCommitsOnlyWithTheirEvents() async throws {
        let f = try await Fixture.make()
        defer { f.close() }
        let fired = Mutex<[[Int64]]>([])
        let database = f.database
        database.observeFirehoseCommits { events in fired.withLock { $0.append(events.map(\.seq)) } }
        // A second listener gets the same calls.
        let alsoFired = Mutex<[[Int64]]>([])
        database.observeFirehoseCommits { events in alsoFired.withLock { $0.append(events.map(\.seq)) } }
        let created = try await f.account("a")
        #expect(fired.withLock { $0 } == [created.seqs])
        let last = try #require(created.seqs.last)

        // A transaction without events does not fire; a rolled-back one with events does not either, and its events
        // do not reach the next commit.
        try await database.write(kind: "test") { db in
            try db.execute(sql: "INSERT INTO server_meta (key, value) VALUES ('x', 'y')")
        }
        _ = try? await database.write(kind: "test") { db in
            _ = try EventLog.append([.identity(did: "did:plc:x", handle: nil)], db: db, nowMicros: 1, database: database)
            throw StorageError(.conflict, "roll back")
        }
        #expect(fired.withLock { $0.count } == 1)
        let second = try await f.account("b")
        #expect(fired.withLock { $0 } == [created.seqs, second.seqs])
        #expect(second.seqs.first == last + 1)

        // An event inserted without the event log fires with no events: the listener reads the log.
        try await database.write(kind: "test") { db in
            try db.execute(
                sql: "INSERT INTO firehose_event (seq, did, kind, time_us, frame) VALUES (?, 'did:plc:x', 'identity', 0, x'00')",
                arguments: [(second.seqs.last ?? 0) + 1])
        }
        #expect(fired.withLock { $0.last } == [])
        #expect(alsoFired.withLock { $0 } == fired.withLock { $0 })
    }
}
