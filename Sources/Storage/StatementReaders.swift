import GRDB
import Synchronization

/// Read-only connections for ``Database/readStatement(kind:_:)``: single statements run in SQLite's autocommit mode,
/// outside GRDB's reader pool.
///
/// Every read from GRDB's pool first runs `PRAGMA schema_version` (GRDB's schema-cache check) as a statement of its
/// own, so a point lookup outside a transaction costs two statements and two WAL read-lock cycles; in a transaction
/// it costs `BEGIN` and `COMMIT` instead. Our schema only changes in migrations, before the server serves, and
/// the statements run here use no GRDB schema introspection (no record types, only SQL and rows), so these
/// connections skip that check: a `DatabaseQueue` opened read-only and used through `inDatabase` runs exactly the
/// caller's statements.
///
/// Connections are opened on first need, at most ``limit`` (the read dispatcher runs no more reads at once), and
/// kept; they run on the read dispatcher's threads like every other read.
final class StatementReaders: Sendable {
    let path: String
    let limit: Int
    private let configuration: Configuration

    private struct State {
        var idle: [DatabaseQueue] = []
        var opened = 0
        var closed = false
        /// Every connection ever opened, to close them all.
        var all: [DatabaseQueue] = []
    }

    private let state = Mutex(State())

    /// - Parameter configuration: the pool's configuration (its `prepareDatabase` pragmas apply here too).
    init(path: String, configuration: Configuration, limit: Int) {
        self.path = path
        self.limit = max(1, limit)
        var configuration = configuration
        configuration.readonly = true
        configuration.label = (configuration.label ?? "pds") + ".statement-reader"
        self.configuration = configuration
    }

    /// Connections opened so far.
    var openedCount: Int { state.withLock { $0.opened } }

    /// Runs `body` on an idle connection, opening one when none is idle; on the calling thread.
    func read<T>(_ body: (GRDB.Database) throws -> T) throws -> T {
        let queue = try take()
        defer { give(queue) }
        return try queue.inDatabase(body)
    }

    private func take() throws -> DatabaseQueue {
        enum Next {
            case reuse(DatabaseQueue)
            case open
        }
        let next = try state.withLock { state throws -> Next in
            guard !state.closed else { throw StorageError(.queryFailed, "database \(path) is closed") }
            if let queue = state.idle.popLast() { return .reuse(queue) }
            guard state.opened < limit else {
                // The read dispatcher runs at most `limit` reads at once, so this does not happen.
                throw StorageError(.queryFailed, "all \(limit) statement readers of \(path) are busy")
            }
            state.opened += 1
            return .open
        }
        switch next {
        case .reuse(let queue):
            return queue
        case .open:
            do {
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                let closed = state.withLock { state in
                    state.all.append(queue)
                    return state.closed
                }
                if closed {
                    try? queue.close()
                    throw StorageError(.queryFailed, "database \(path) is closed")
                }
                return queue
            } catch {
                state.withLock { $0.opened -= 1 }
                throw error
            }
        }
    }

    private func give(_ queue: DatabaseQueue) {
        state.withLock { state in
            if !state.closed { state.idle.append(queue) }
        }
    }

    /// Closes every connection (idle ones now; the database is closing, so no read is running).
    func close() {
        let all = state.withLock { state -> [DatabaseQueue] in
            state.closed = true
            state.idle = []
            return state.all
        }
        for queue in all { try? queue.close() }
    }
}
