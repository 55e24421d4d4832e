import NIOCore
import Storage
import Synchronization

/// One subscriber's bounded queue of live events. The sequencer pushes without ever waiting; when the queue
/// would pass its event or byte bound the subscriber is marked too slow, its queue is dropped and the next
/// ``nextBatch(max:)`` returns ``Item/tooSlow`` so the connection sends `ConsumerTooSlow` and closes.
final class FirehoseOutbox: Sendable {
    /// A live event ready to send: its stored frame bytes in a buffer shared by every subscriber.
    struct Event: Sendable {
        let seq: Int64
        let kind: String
        let frame: ByteBuffer

        init(seq: Int64, kind: String, frame: ByteBuffer) {
            self.seq = seq
            self.kind = kind
            self.frame = frame
        }

        init(_ stored: EventLog.StoredEvent, allocator: ByteBufferAllocator) {
            self.init(seq: stored.seq, kind: stored.kind, frame: allocator.buffer(bytes: stored.frame))
        }
    }

    enum Item: Sendable {
        /// Queued events, oldest first, and the queue depth when they were taken (these events included).
        case events([Event], depth: Int)
        /// The queue overflowed: send `ConsumerTooSlow` and close.
        case tooSlow
        /// The outbox was closed (shutdown, client gone, task cancelled).
        case closed(FirehoseDisconnect)
    }

    /// What ``push(_:)`` did.
    enum PushResult: Equatable {
        /// Queued; the queue depth afterwards.
        case queued(depth: Int)
        /// The queue would have passed a bound: the subscriber is now too slow and must be removed.
        case overflowed(Overflow)
        /// The outbox was already too slow or closed: remove it.
        case finished
    }

    /// Which bound an overflowing push would have passed (the `reason` of `pds_firehose_outbox_dropped_total`).
    enum Overflow: String, Sendable {
        case maxEvents = "max_events"
        case maxBytes = "max_bytes"
    }

    private struct State {
        var queue: [Event] = []
        var head = 0
        var bytes = 0
        var tooSlow = false
        var closed: FirehoseDisconnect?
        var waiter: CheckedContinuation<Void, Never>?

        var depth: Int { queue.count - head }
    }

    let maxEvents: Int
    let maxBytes: Int
    private let state = Mutex(State())

    init(maxEvents: Int, maxBytes: Int) {
        self.maxEvents = maxEvents
        self.maxBytes = maxBytes
    }

    /// Queues `events` without waiting.
    func push(_ events: ArraySlice<Event>) -> PushResult {
        let (result, waiter) = state.withLock { state -> (PushResult, CheckedContinuation<Void, Never>?) in
            guard !state.tooSlow, state.closed == nil else { return (.finished, nil) }
            let added = events.reduce(0) { $0 + $1.frame.readableBytes }
            let overflow: Overflow? =
                if state.depth + events.count > maxEvents { .maxEvents } else if state.bytes + added > maxBytes { .maxBytes } else { nil }
            let waiter = state.waiter
            state.waiter = nil
            if let overflow {
                state.tooSlow = true
                state.queue = []
                state.head = 0
                state.bytes = 0
                return (.overflowed(overflow), waiter)
            }
            state.queue.append(contentsOf: events)
            state.bytes += added
            return (.queued(depth: state.depth), waiter)
        }
        waiter?.resume()
        return result
    }

    /// Ends the outbox (no effect when already too slow or closed).
    func close(_ reason: FirehoseDisconnect) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.closed == nil { state.closed = reason }
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    var isTooSlow: Bool { state.withLock { $0.tooSlow } }

    var depth: Int { state.withLock { $0.depth } }

    /// Up to `max` queued events, waiting for at least one; ``Item/tooSlow`` wins over queued events, queued
    /// events are delivered before ``Item/closed(_:)``. Task cancellation closes the outbox.
    func nextBatch(max: Int) async -> Item {
        while true {
            if let item = take(max: max) { return item }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { state -> Bool in
                        if state.tooSlow || state.closed != nil || state.depth > 0 { return true }
                        state.waiter = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                close(.shutdown)
            }
        }
    }

    private func take(max: Int) -> Item? {
        state.withLock { state -> Item? in
            if state.tooSlow { return .tooSlow }
            let depth = state.depth
            if depth > 0 {
                let end = state.head + min(depth, Swift.max(1, max))
                let batch = Array(state.queue[state.head..<end])
                state.head = end
                state.bytes -= batch.reduce(0) { $0 + $1.frame.readableBytes }
                if state.head == state.queue.count {
                    state.queue.removeAll(keepingCapacity: true)
                    state.head = 0
                } else if state.head >= 1_024, state.head * 2 >= state.queue.count {
                    state.queue.removeFirst(state.head)
                    state.head = 0
                }
                return .events(batch, depth: depth)
            }
            if let reason = state.closed { return .closed(reason) }
            return nil
        }
    }
}
