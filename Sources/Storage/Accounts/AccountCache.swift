import GRDB
import Synchronization

/// Account rows by DID, for the lookup every authenticated request makes (``AccountStore/account(did:)``), so that
/// it costs no hop to a reader connection.
///
/// Exact, not timed: a GRDB transaction observer empties the cache after every committed transaction that changed
/// the `account` table (takedowns, deactivation, handle, email and password changes, deletions), before the writer
/// goes on. A lookup that read the database while such a change committed does not store its (possibly older)
/// row: each lookup notes the cache's generation before reading and stores only if it is unchanged. Bounded: when
/// ``capacity`` rows are held it starts over.
final class AccountCache: TransactionObserver, Sendable {
    let capacity: Int
    private let state = Mutex(State())
    /// The current transaction changed `account` (writer thread only, but kept with the state for simplicity).
    private let changed = Mutex(false)

    private struct State {
        var generation: UInt64 = 0
        var records: [String: AccountRecord] = [:]
    }

    init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    /// The cached row of `did` and the generation to hand back to ``store(_:generation:)`` after a miss.
    func lookup(did: String) -> (record: AccountRecord?, generation: UInt64) {
        state.withLock { ($0.records[did], $0.generation) }
    }

    /// Remembers a row read from the database, unless an account change committed since `generation`.
    func store(_ record: AccountRecord, generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.records.count >= capacity { state.records.removeAll(keepingCapacity: true) }
            state.records[record.did] = record
        }
    }

    // MARK: TransactionObserver (on the writer's thread)

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        eventKind.tableName == "account"
    }

    func databaseDidChange(with event: DatabaseEvent) {
        changed.withLock { $0 = true }
        stopObservingDatabaseChangesUntilNextTransaction()
    }

    func databaseDidCommit(_ db: GRDB.Database) {
        let wasChanged = changed.withLock { value in
            defer { value = false }
            return value
        }
        guard wasChanged else { return }
        state.withLock { state in
            state.generation &+= 1
            state.records.removeAll(keepingCapacity: true)
        }
    }

    func databaseDidRollback(_ db: GRDB.Database) {
        changed.withLock { $0 = false }
    }
}
