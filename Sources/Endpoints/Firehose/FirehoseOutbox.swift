import Storage
import Synchronization

/// One subscriber's bounded queue of live events. The sequencer pushes without ever waiting; when the queue
/// would pass its frame or byte bound the subscriber is marked too slow, its queue is dropped and the next
/// ``next()`` returns ``Item/tooSlow`` so the connection sends `ConsumerTooSlow` and closes.
final class FirehoseOutbox: Sendable {
    enum Item: Sendable {
        case event(EventLog.StoredEvent)
        /// The queue overflowed: send `ConsumerTooSlow` and close.
        case tooSlow
        /// The outbox was closed (shutdown, client gone, task cancelled).
        case closed(FirehoseDisconnect)
    }

    private struct State {
        var queue: [EventLog.StoredEvent] = []
        var head = 0
        var bytes = 0
        var tooSlow = false
        var closed: FirehoseDisconnect?
        var waiter: CheckedContinuation<Void, Never>?

        var depth: Int { queue.count - head }
    }

    let maxFrames: Int
    let maxBytes: Int
    private let state = Mutex(State())

    init(maxFrames: Int, maxBytes: Int) {
        self.maxFrames = maxFrames
        self.maxBytes = maxBytes
    }

    /// Queues `events`; returns the queue depth afterwards, or nil when the subscriber just overflowed (or is
    /// already finished) and must be removed.
    func push(_ events: ArraySlice<EventLog.StoredEvent>) -> Int? {
        let (depth, waiter) = state.withLock { state -> (Int?, CheckedContinuation<Void, Never>?) in
            guard !state.tooSlow, state.closed == nil else { return (nil, nil) }
            let added = events.reduce(0) { $0 + $1.frame.count }
            if state.depth + events.count > maxFrames || state.bytes + added > maxBytes {
                state.tooSlow = true
                state.queue = []
                state.head = 0
                state.bytes = 0
                let waiter = state.waiter
                state.waiter = nil
                return (nil, waiter)
            }
            state.queue.append(contentsOf: events)
            state.bytes += added
            let waiter = state.waiter
            state.waiter = nil
            return (state.depth, waiter)
        }
        waiter?.resume()
        return depth
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

    /// The next queued event, waiting for one; ``Item/tooSlow`` wins over queued events, queued events are
    /// delivered before ``Item/closed(_:)``. Task cancellation closes the outbox.
    func next() async -> Item {
        while true {
            if let item = take() { return item }
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

    private func take() -> Item? {
        state.withLock { state -> Item? in
            if state.tooSlow { return .tooSlow }
            if state.depth > 0 {
                let event = state.queue[state.head]
                state.head += 1
                state.bytes -= event.frame.count
                if state.head == state.queue.count {
                    state.queue.removeAll(keepingCapacity: true)
                    state.head = 0
                } else if state.head >= 1_024, state.head * 2 >= state.queue.count {
                    state.queue.removeFirst(state.head)
                    state.head = 0
                }
                return .event(event)
            }
            if let reason = state.closed { return .closed(reason) }
            return nil
        }
    }
}
