import ATProto
import MetricsTestKit
import Testing

@testable import Storage

@Suite("Firehose log: write metrics")
struct EventLogMetricsTests {
    @Test func everyEventWriteIsTimedAndEveryFrameSizeRecorded() async throws {
        let metrics = TestMetrics()
        let f = try await StoreFixture.make(metricsFactory: metrics)
        defer { f.close() }
        try await f.account("alice")  // #identity, #account, #commit, #sync in one transaction
        _ = try await f.repos.applyWrites(
            did: "did:plc:alice",
            writes: [
                RecordWrite(
                    action: .create, collection: "app.bsky.feed.post", rkey: "a",
                    record: EncodedRecord(["$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2026-11-29T18:00:00.000Z"]))
            ])

        let writes = try metrics.expectTimer("pds_sequencer_write_duration_seconds")
        #expect(writes.values.count == 2)
        #expect(writes.values.allSatisfy { $0 >= 0 })
        let stored = try await f.database.firehoseEvents(after: 0, limit: 100)
        #expect(stored.count == 5)
        let sizes = try metrics.expectRecorder("pds_firehose_frame_size_bytes")
        #expect(sizes.values == stored.map { Double($0.frame.count) })
    }
}
