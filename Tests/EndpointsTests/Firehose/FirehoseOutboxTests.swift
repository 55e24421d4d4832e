import NIOCore
import Testing

@testable import Endpoints

@Suite("FirehoseOutbox")
struct FirehoseOutboxTests {
    static func events(_ seqs: ClosedRange<Int64>, bytes: Int = 10) -> ArraySlice<FirehoseOutbox.Event> {
        ArraySlice(seqs.map { FirehoseOutbox.Event(seq: $0, kind: "commit", frame: ByteBuffer(repeating: 0xAB, count: bytes)) })
    }

    @Test func batchesAreTakenInOrderUpToTheLimitWithTheirDepth() async {
        let outbox = FirehoseOutbox(maxEvents: 100, maxBytes: 10_000)
        #expect(outbox.push(Self.events(1...5)) == .queued(depth: 5))
        #expect(outbox.push(Self.events(6...7)) == .queued(depth: 7))
        guard case .events(let first, let depth) = await outbox.nextBatch(max: 4) else {
            Issue.record("expected events")
            return
        }
        #expect(first.map(\.seq) == [1, 2, 3, 4])
        #expect(depth == 7)
        guard case .events(let second, let rest) = await outbox.nextBatch(max: 4) else {
            Issue.record("expected events")
            return
        }
        #expect(second.map(\.seq) == [5, 6, 7])
        #expect(rest == 3)
        #expect(outbox.depth == 0)
        // Queued events come before the close.
        #expect(outbox.push(Self.events(8...8)) == .queued(depth: 1))
        outbox.close(.shutdown)
        guard case .events(let last, _) = await outbox.nextBatch(max: 4) else {
            Issue.record("expected events")
            return
        }
        #expect(last.map(\.seq) == [8])
        guard case .closed(let reason) = await outbox.nextBatch(max: 4) else {
            Issue.record("expected closed")
            return
        }
        #expect(reason == .shutdown)
        #expect(outbox.push(Self.events(9...9)) == .finished)
    }

    @Test func passingTheEventBoundMakesTheSubscriberTooSlow() async {
        let outbox = FirehoseOutbox(maxEvents: 3, maxBytes: 10_000)
        #expect(outbox.push(Self.events(1...3)) == .queued(depth: 3))
        #expect(outbox.push(Self.events(4...4)) == .overflowed(.maxEvents))
        #expect(outbox.isTooSlow)
        #expect(outbox.depth == 0)
        guard case .tooSlow = await outbox.nextBatch(max: 10) else {
            Issue.record("expected tooSlow")
            return
        }
        #expect(outbox.push(Self.events(5...5)) == .finished)
    }

    @Test func passingTheByteBoundMakesTheSubscriberTooSlow() async {
        let outbox = FirehoseOutbox(maxEvents: 100, maxBytes: 250)
        #expect(outbox.push(Self.events(1...2, bytes: 100)) == .queued(depth: 2))
        #expect(outbox.push(Self.events(3...3, bytes: 100)) == .overflowed(.maxBytes))
        guard case .tooSlow = await outbox.nextBatch(max: 10) else {
            Issue.record("expected tooSlow")
            return
        }
    }

    @Test func takenEventsFreeTheirBytes() async {
        let outbox = FirehoseOutbox(maxEvents: 100, maxBytes: 250)
        #expect(outbox.push(Self.events(1...2, bytes: 100)) == .queued(depth: 2))
        _ = await outbox.nextBatch(max: 10)
        #expect(outbox.push(Self.events(3...4, bytes: 100)) == .queued(depth: 2))
    }
}
