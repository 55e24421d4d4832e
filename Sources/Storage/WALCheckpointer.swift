import Dispatch
import GRDB
import GRDBSQLite
import Synchronization

/// Keeps WAL checkpoints off the committing path.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1000 WAL pages: that writer copies every page
/// into the database file and waits for two `fdatasync`s while every other write waits behind it. Instead the writer
/// connection runs with `wal_autocheckpoint = 0` and a WAL hook that calls ``walDidCommit(connection:pages:)`` after
/// each commit:
///
/// 1. When the WAL holds ``thresholdPages`` pages (``Database/walCheckpointPages`` unless told) more than at the
///    start of the round, a PASSIVE checkpoint runs on this object's own connection and dispatch queue (trigger
///    `background`): it copies the bulk of the WAL and syncs while commits go on.
/// 2. From then on every commit runs a PASSIVE checkpoint inline (trigger `catchup`), until the WAL is seen to start
///    over. Each copies only the pages written since the previous one. SQLite starts the WAL over at the first write
///    after a checkpoint that left nothing to copy, but only if no reader still reads from the WAL; a reader that
///    began before the catch-up can therefore make one attempt miss, and the next commit simply tries again (as
///    SQLite's own automatic checkpoint does on every commit past its threshold).
///
/// If the background checkpoint cannot run (its connection cannot be opened), the catch-ups do all the copying, as
/// SQLite's automatic checkpoint would. A reader holding an old snapshot for long (a big getRepo download) keeps the
/// WAL from starting over, as with any checkpoint; when the WAL has grown by another ``thresholdPages`` a new
/// background round starts. Each checkpoint records `pds_sqlite_checkpoint_duration_seconds{trigger}`.
final class WALCheckpointer: Sendable {
    /// A background checkpoint repeats while its previous pass saw more than this many new pages, so the catch-ups
    /// have little to copy.
    static let catchUpPages: Int32 = 64
    static let maxBackgroundPasses = 4

    let path: String
    let thresholdPages: Int
    private let metrics: DatabaseMetrics
    private let queue = DispatchQueue(label: "pds.wal-checkpointer")
    private let state: Mutex<State>
    /// The checkpointer's own connection, opened on first use; only touched on `queue`.
    private let connection = Mutex<OpaquePointer?>(nil)

    struct State {
        /// Pages in the WAL after the previous commit (fewer now: the WAL was started over).
        var lastPages = 0
        /// WAL size that starts the next background checkpoint.
        var nextBackgroundAt: Int
        /// A background checkpoint is running.
        var running = false
        /// A background checkpoint finished since the WAL last started over: commits catch up until it does.
        var catchingUp = false
        var closed = false
        /// Times the WAL was seen to start over, and the largest WAL seen (pages): for tests.
        var restarts = 0
        var maxPages = 0
        /// Background rounds started, and those of them that started while the commits were still catching up after
        /// the previous round (the WAL had not started over in between: a reader held it, or nothing let it): tests.
        var backgroundRounds = 0
        var roundsBeforeRestart = 0

        init(threshold: Int) { nextBackgroundAt = threshold }
    }

    init(path: String, thresholdPages: Int = Database.walCheckpointPages, metrics: DatabaseMetrics) {
        self.path = path
        self.thresholdPages = max(1, thresholdPages)
        self.metrics = metrics
        self.state = Mutex(State(threshold: max(1, thresholdPages)))
    }

    /// A copy of the state (tests).
    var snapshot: State { state.withLock { $0 } }

    /// Starts counting restarts and the largest WAL afresh (tests).
    func resetStatistics() {
        state.withLock { state in
            state.restarts = 0
            state.maxPages = state.lastPages
            state.backgroundRounds = 0
            state.roundsBeforeRestart = 0
        }
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
                state.restarts += 1
                state.catchingUp = false
                state.nextBackgroundAt = thresholdPages
            }
            state.lastPages = pages
            state.maxPages = max(state.maxPages, pages)
            guard !state.closed, !state.running else { return .nothing }
            if pages >= state.nextBackgroundAt {
                state.backgroundRounds += 1
                if state.catchingUp { state.roundsBeforeRestart += 1 }
                state.running = true
                state.catchingUp = false
                state.nextBackgroundAt = pages + thresholdPages
                return .background
            }
            return state.catchingUp ? .catchUp : .nothing
        }
        switch step {
        case .nothing:
            return
        case .catchUp:
            let start = ContinuousClock.now
            // PASSIVE never waits; SQLITE_BUSY (another checkpoint is running) is retried by the next commit.
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
            // Copy, then copy again what was written meanwhile, until little is left for the catch-ups.
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
            // Whether or not the copy worked, the commits from now on catch up until the WAL starts over. They get
            // the WAL's growth of another threshold to get there before the next background round: under a steady
            // stream of commits the WAL grows past the round's own mark while the round runs, and starting the next
            // round at once would leave no commit in between to start the WAL over.
            state.catchingUp = true
            state.nextBackgroundAt = max(state.nextBackgroundAt, state.lastPages + thresholdPages)
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

