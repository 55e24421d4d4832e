import GRDB
import Synchronization

extension Database {
    /// Calls `onCommit` after every committed transaction that appended firehose events (on the writer's
    /// thread, after the commit is visible to readers; keep it short and non-blocking). The observer stays
    /// registered for the life of the database.
    public func observeFirehoseCommits(_ onCommit: @escaping @Sendable () -> Void) {
        pool.add(transactionObserver: FirehoseCommitObserver(onCommit: onCommit), extent: .databaseLifetime)
    }
}

/// A GRDB transaction observer that notices inserts into `firehose_event` and reports their commit.
final class FirehoseCommitObserver: TransactionObserver, Sendable {
    private let onCommit: @Sendable () -> Void
    private let pending = Mutex(false)

    init(onCommit: @escaping @Sendable () -> Void) {
        self.onCommit = onCommit
    }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        if case .insert(let tableName) = eventKind { return tableName == "firehose_event" }
        return false
    }

    func databaseDidChange(with event: DatabaseEvent) {
        pending.withLock { $0 = true }
        stopObservingDatabaseChangesUntilNextTransaction()
    }

    func databaseDidCommit(_ db: GRDB.Database) {
        let fire = pending.withLock { value in
            defer { value = false }
            return value
        }
        if fire { onCommit() }
    }

    func databaseDidRollback(_ db: GRDB.Database) {
        pending.withLock { $0 = false }
    }
}
