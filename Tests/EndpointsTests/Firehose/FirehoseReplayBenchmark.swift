import ATProto
import Foundation
import Storage
import Testing

@testable import Endpoints

/// Replay throughput: N stored events (about 700-byte frames) from cursor 0 to one local subscriber. Runs with
/// `PDS_BENCH_FIREHOSE=<events>` (for example 100000) and prints events/s; the default test run replays 5,000
/// and only checks completeness.
@Suite("subscribeRepos replay benchmark", .serialized)
struct FirehoseReplayBenchmark {
    static let requested = ProcessInfo.processInfo.environment["PDS_BENCH_FIREHOSE"].flatMap { Int($0) }

    @Test func replayFromCursorZero() async throws {
        let count = Self.requested ?? 5_000
        let harness = try await FirehoseHarness()
        defer { harness.close() }
        // Synthetic #sync events written straight into the log (the frames are what a PDS stores).
        let blocks = [UInt8](repeating: 0xAB, count: 600)
        let seqs = try await harness.server.database.appendFirehoseEvents((0..<count).map { index in
            FirehoseEvent.sync(did: "did:plc:bench\(index % 100)", blocks: blocks, rev: "3kabcdefghi2\(index % 10)")
        })
        let first = try #require(seqs.first), last = try #require(seqs.last)
        let (received, seconds) = try await harness.run { port in
            let client = try await WebSocketTestClient.connect(port: port, path: SubscribeRepos.path + "?cursor=0")
            let start = ContinuousClock.now
            var received = 0
            var expected = first
            reading: while expected <= last {
                for message in try await client.nextBatch(limit: 4_096, timeout: 30) {
                    guard case .binary(let bytes) = message else { break reading }
                    // Every 1,000th frame is decoded and its seq checked; the others are counted.
                    if received % 1_000 == 0 {
                        #expect(try FirehoseChecker.decode(bytes).seq == expected)
                    }
                    received += 1
                    expected += 1
                }
            }
            let elapsed = ContinuousClock.now - start
            await client.close()
            return (received, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        #expect(received == count)
        print("firehose replay: \(received) events in \(String(format: "%.3f", seconds)) s = \(Int(Double(received) / seconds)) events/s")
    }
}
