import GRDB
import Synchronization

extension Database {
    /// Calls `onCommit` after every committed transaction that appended firehose events, with the events it
    /// appended through ``EventLog`` (oldest first), on the writer's thread, once the commit is visible to readers;
    /// keep it short and non-blocking. The events are empty when they were inserted some other way: read them from
    /// the log then. The observer stays registered for the life of the database.
    public func observeFirehoseCommits(_ onCommit: @escaping @Sendable ([EventLog.StoredEvent]) -> Void) {
        if firehoseFeed.addListener(onCommit) {
            pool.add(transactionObserver: FirehoseCommitObserver(feed: firehoseFeed), extent: .databaseLifetime)
        }
    }
}

/// A GRDB transaction observer that notices inserts into `firehose_event` and reports their commit to the feed's
/// listeners, with the events the feed kept for the transaction.
final class FirehoseCommitObserver: TransactionObserver, Sendable {
    private let feed: FirehoseFeed
    private let pending = Mutex(false)

    init(feed: FirehoseFeed) {
        self.feed = feed
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
        if fire { feed.deliverCommitted() } else { feed.discardAll() }
    }

    func databaseDidRollback(_ db: GRDB.Database) {
        pending.withLock { $0 = false }
        feed.discardAll()
    }
}
