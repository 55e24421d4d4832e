import Synchronization

/// The firehose events a write transaction appends, handed to a listener (the sequencer) once that transaction has
/// committed, so that the events just written need not be read back from the database to be sent.
///
/// ``EventLog/append(_:db:nowMicros:database:)`` keeps each event it inserts here, in memory, while someone
/// listens; the commit observer (``Database/observeFirehoseCommits(_:)``) takes them at the commit and drops them
/// at a rollback. A commit of a group commit that fails rolls back its savepoint only: ``CommitQueue`` then drops
/// what that commit appended (``discard(from:)``). Everything runs on the writer's thread, in commit order.
final class FirehoseFeed: Sendable {
    typealias Listener = @Sendable ([EventLog.StoredEvent]) -> Void

    private struct State {
        var listeners: [Listener] = []
        var pending: [EventLog.StoredEvent] = []
    }

    private let state = Mutex(State())

    /// Adds a listener; from now on appended events are kept for the listeners. True for the first one.
    func addListener(_ listener: @escaping Listener) -> Bool {
        state.withLock { state in
            state.listeners.append(listener)
            return state.listeners.count == 1
        }
    }

    /// Keeps `event`, appended in the open transaction (nothing when nobody listens).
    func append(_ event: EventLog.StoredEvent) {
        state.withLock { state in
            if !state.listeners.isEmpty { state.pending.append(event) }
        }
    }

    /// How many events the open transaction has appended so far: a savepoint's starting point.
    var mark: Int { state.withLock { $0.pending.count } }

    /// Drops the events appended after `mark` (their savepoint was rolled back).
    func discard(from mark: Int) {
        state.withLock { state in
            if mark < state.pending.count { state.pending.removeSubrange(mark...) }
        }
    }

    /// Passes the events of the transaction that just committed (oldest first) to every listener; the feed starts
    /// empty again.
    func deliverCommitted() {
        let (events, listeners) = state.withLock { state in
            defer { state.pending = [] }
            return (state.pending, state.listeners)
        }
        for listener in listeners { listener(events) }
    }

    /// Drops everything (the transaction was rolled back).
    func discardAll() {
        state.withLock { $0.pending = [] }
    }
}
