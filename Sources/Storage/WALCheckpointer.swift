import Dispatch
import GRDB
import GRDBSQLite
import Synchronization

/// Keeps WAL checkpoints off the committing path.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1000 WAL pages: that writer copies every page
/// into the database file and waits for two `fdatasync`s while every other write waits behind it (5-15 ms on this
/// kind of disk, each time). Instead the writer connection runs with `wal_autocheckpoint = 0` and a WAL hook that
/// calls ``walDidCommit(connection:pages:)`` after each commit:
///
/// 1. When the WAL holds ``thresholdPages`` pages (4000), a PASSIVE checkpoint runs on this object's own connection and
///    dispatch queue (trigger `background`): it copies the bulk of the WAL and syncs while writers go on.
/// 2. The first commit after it finishes runs a PASSIVE checkpoint inline (trigger `catchup`): it only copies the
///    pages written meanwhile, so it is short, and it leaves the WAL fully checkpointed, which lets the next write
///    transaction start the WAL over from its beginning (a background checkpoint alone never catches up while
///    writes continue, and the WAL would grow without bound).
///
/// A reader holding an old snapshot (a long getRepo download) keeps the WAL from restarting; the hook then waits
/// for another ``thresholdPages`` pages before the next round, so the work stays bounded. Each checkpoint records
/// `pds_sqlite_checkpoint_duration_seconds{trigger}`.
public final class WALCheckpointer: Sendable {
    /// WAL size, in pages, that starts a background checkpoint: 16 MB with 4 KiB pages (SQLite's automatic
    /// checkpoint uses 1000; a larger WAL lets a page written by many commits be copied once, and halved the
    /// checkpoint work in the createRecord benchmark at the same throughput).
    public static let defaultThresholdPages = 4000
    /// A background checkpoint repeats while its previous pass saw more than this many new pages, so the catch-up
    /// inside a commit has little to copy and sync.
    static let catchUpPages: Int32 = 48
    static let maxBackgroundPasses = 4

    let path: String
    let thresholdPages: Int
    private let metrics: DatabaseMetrics
    private let queue = DispatchQueue(label: "pds.wal-checkpointer")
    private let state: Mutex<State>
    /// The checkpointer's own connection, opened on first use; only touched on `queue`.
    private let connection = Mutex<OpaquePointer?>(nil)

    private struct State {
        /// Pages in the WAL at the previous commit (fewer now: the WAL was restarted).
        var lastPages = 0
        /// Pages the WAL must reach before the next step.
        var nextStepAt: Int
        /// A background checkpoint is running.
        var running = false
        /// A background checkpoint finished since the WAL was last restarted: the next step is the catch-up.
        var bulkDone = false
        var closed = false

        init(threshold: Int) { nextStepAt = threshold }
    }

    init(path: String, thresholdPages: Int = WALCheckpointer.defaultThresholdPages, metrics: DatabaseMetrics) {
        self.path = path
        self.thresholdPages = max(1, thresholdPages)
        self.metrics = metrics
        self.state = Mutex(State(threshold: max(1, thresholdPages)))
    }

    // MARK: Writer side

    /// Turns off SQLite's automatic checkpoints on the writer connection `db` and installs the WAL hook.
    /// The hook keeps an unretained reference: ``Database/close()`` removes it before this object can go.
    func install(on db: GRDB.Database) throws {
        try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        sqlite3_wal_hook(
            db.sqliteConnection,
            { context, connection, _, pages in
                guard let context else { return SQLITE_OK }
                Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
                    .walDidCommit(connection: connection, pages: Int(pages))
                return SQLITE_OK
            },
            Unmanaged.passUnretained(self).toOpaque())
    }

    /// Removes the WAL hook from the writer connection `db` (before the connection or this object goes away).
    static func uninstall(from db: GRDB.Database) {
        sqlite3_wal_hook(db.sqliteConnection, nil, nil)
    }

    private enum Step {
        case nothing
        case background
        case catchUp
    }

    /// Called by SQLite on the writer connection after each commit, with the number of pages now in the WAL.
    func walDidCommit(connection: OpaquePointer?, pages: Int) {
        let step = state.withLock { (state: inout State) -> Step in
            if pages < state.lastPages {
                // The WAL was started over: a new round.
                state.nextStepAt = thresholdPages
                state.bulkDone = false
            }
            state.lastPages = pages
            guard !state.closed, !state.running, pages >= state.nextStepAt else { return .nothing }
            if state.bulkDone {
                state.bulkDone = false
                state.nextStepAt = pages + thresholdPages
                return .catchUp
            }
            state.running = true
            return .background
        }
        switch step {
        case .nothing:
            return
        case .catchUp:
            let start = ContinuousClock.now
            sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            metrics.recordCheckpoint(trigger: .catchUp, duration: ContinuousClock.now - start)
        case .background:
            queue.async { self.runBackground() }
        }
    }

    // MARK: Background side

    private func runBackground() {
        let start = ContinuousClock.now
        let copied = connection.withLock { handle -> Bool in
            if handle == nil {
                var opened: OpaquePointer?
                // Never create the file: a database that was closed and removed stays removed.
                guard sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
                    sqlite3_close_v2(opened)
                    return false
                }
                sqlite3_exec(opened, "PRAGMA synchronous = NORMAL", nil, nil, nil)
                handle = opened
            }
            // Copy, then copy again what was written meanwhile, until little is left for the catch-up.
            var previousLog: Int32 = 0
            for _ in 0..<Self.maxBackgroundPasses {
                var log: Int32 = 0
                var done: Int32 = 0
                guard sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &done) == SQLITE_OK else {
                    return false
                }
                if log - previousLog <= Self.catchUpPages || log < previousLog { break }
                previousLog = log
            }
            return true
        }
        if copied { metrics.recordCheckpoint(trigger: .background, duration: ContinuousClock.now - start) }
        state.withLock { state in
            state.running = false
            if copied {
                state.bulkDone = true
                // The catch-up comes with the next commit.
                state.nextStepAt = 0
            } else {
                state.nextStepAt = state.lastPages + thresholdPages
            }
        }
    }

    /// Stops scheduling checkpoints, waits for a running one and closes the checkpointer's connection.
    func close() {
        state.withLock { $0.closed = true }
        queue.sync {
            connection.withLock { handle in
                if let open = handle { sqlite3_close_v2(open) }
                handle = nil
            }
        }
    }
}
