import ATProto
import Foundation
import Storage
import Testing

@testable import Endpoints

/// The sequencer's delivery: committed events from memory, the log when memory does not continue.
@Suite("Sequencer", .timeLimit(.minutes(1)))
struct SequencerTests {
    static func identity(_ did: String) -> FirehoseEvent { .identity(did: did, handle: nil) }

    /// Sequencer reads of the log so far.
    static func logReads(_ server: TestServerWithServices) -> Double {
        server.sample("pds_db_query_duration_seconds_count", labels: ["kind": "firehose_sequencer"]) ?? 0
    }

    /// The seqs the outbox receives, until `target` is among them.
    static func collect(_ outbox: FirehoseOutbox, through target: Int64) async -> [Int64] {
        var seqs: [Int64] = []
        while seqs.last.map({ $0 < target }) ?? true {
            guard case .events(let batch, _) = await outbox.nextBatch(max: 1_000) else { return seqs }
            seqs += batch.map(\.seq)
        }
        return seqs
    }

    @Test func committedEventsGoFromMemoryAndTheLogFillsWhatMemoryMisses() async throws {
        let server = try await TestServerWithServices()
        defer { server.close() }
        // A log with a head (the first event of an empty log is numbered from the clock, after a read of the log).
        _ = try await server.database.appendFirehoseEvents([Self.identity("did:plc:first")])
        // No polls during the test: every log read has a reason.
        let settings = FirehoseSettings(outboxMaxEvents: 50_000, pollInterval: .seconds(3600))
        let sequencer = Sequencer(database: server.database, settings: settings, metricsFactory: server.metrics.factory)
        let running = Task { try await sequencer.run() }
        defer { running.cancel() }
        while !sequencer.isRunning { try await Task.sleep(for: .milliseconds(5)) }
        let subscription = try #require(sequencer.subscribe())
        let readsAtStart = Self.logReads(server)

        // Appended through the event log, in many transactions: delivered in order from memory.
        var seqs: [Int64] = []
        for i in 0..<20 {
            seqs += try await server.database.appendFirehoseEvents([Self.identity("did:plc:a\(i)"), Self.identity("did:plc:b\(i)")])
        }
        #expect(await Self.collect(subscription.outbox, through: seqs.last!) == seqs)
        #expect(Self.logReads(server) == readsAtStart)
        #expect(sequencer.inboxCount == 0)

        // Inserted without the event log: the commit brings no events, so the sequencer reads the log.
        let other = seqs.last! + 1
        try await server.database.write(kind: "test") { db in
            try db.execute(
                sql: "INSERT INTO firehose_event (seq, did, kind, time_us, frame) VALUES (?, 'did:plc:x', 'identity', 0, x'00')",
                arguments: [other])
        }
        #expect(await Self.collect(subscription.outbox, through: other) == [other])
        #expect(Self.logReads(server) > readsAtStart)

        // One transaction with more events than the inbox holds: read from the log in pages, in order, then memory
        // takes over again.
        let many = try await server.database.appendFirehoseEvents(
            (0...Sequencer.inboxMaxEvents).map { Self.identity("did:plc:m\($0)") })
        #expect(many.first == other + 1)
        #expect(await Self.collect(subscription.outbox, through: many.last!) == many)
        let readsAfterOverflow = Self.logReads(server)
        let after = try await server.database.appendFirehoseEvents([Self.identity("did:plc:z")])
        #expect(await Self.collect(subscription.outbox, through: after[0]) == after)
        #expect(Self.logReads(server) == readsAfterOverflow)
    }
}
