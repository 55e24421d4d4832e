import Synchronization

/// The firehose events a write transaction appends, handed to a listener (the sequencer) once that transaction has
/// committed, so that the events just written need not be read back from the database to be sent.
///
/// ``EventLog/append(_:db:nowMicros:database:)`` keeps each event it inserts here, in memory, while someone
/// listens; the commit observer (``Database/observeFirehoseCommits(_:)``) takes them at the commit and drops them
/// at a rollback. A commit of a group commit that fails rolls back its savepoint only: ``CommitQueue`` then drops
/// what that commit appended (``discard(from:)``). Everything runs on the writer's thread, in commit order.
final class FirehoseFeed: Sendable {
    private struct State {
        var listening = false
        var pending: [EventLog.StoredEvent] = []
    }

    private let state = Mutex(State())

    /// From now on appended events are kept for the listener.
    func startListening() {
        state.withLock { $0.listening = true }
    }

    /// Keeps `event`, appended in the open transaction (nothing when nobody listens).
    func append(_ event: EventLog.StoredEvent) {
        state.withLock { state in
            if state.listening { state.pending.append(event) }
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

    /// The events of the transaction that just committed, oldest first; the feed starts empty again.
    func takeCommitted() -> [EventLog.StoredEvent] {
        state.withLock { state in
            defer { state.pending = [] }
            return state.pending
        }
    }

    /// Drops everything (the transaction was rolled back).
    func discardAll() {
        state.withLock { $0.pending = [] }
    }
}
