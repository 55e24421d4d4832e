import GRDB
import Telemetry

// MARK: - WAL checkpoints

extension Database {
    /// How a checkpoint treats concurrent connections.
    public enum CheckpointMode: String, Sendable {
        /// Copies what it can without waiting for readers or writers (SQLite's automatic checkpoints do this too).
        case passive
        /// Copies everything and truncates the WAL file to zero bytes; needs a moment with no reader of an older
        /// snapshot, so it waits at most ``truncateBusyTimeoutMilliseconds`` and reports `busy` otherwise.
        case truncate
    }

    /// The outcome of one checkpoint.
    public struct CheckpointResult: Sendable, Equatable {
        public let mode: CheckpointMode
        /// Frames in the WAL when the checkpoint ran (-1 when not in WAL mode).
        public let walFrames: Int
        /// Frames copied into the database file.
        public let checkpointedFrames: Int
        /// Whether the checkpoint could not finish because other connections were busy (a truncate that found a
        /// reader); not an error: the next one catches up.
        public let busy: Bool
        /// `sqlite3_total_changes` of the writer connection: unchanged between two checkpoints means no write.
        public let totalChanges: Int
    }

    /// How long a truncating checkpoint waits for readers before giving up (instead of the 5 s busy timeout:
    /// the writer connection is held meanwhile).
    public static let truncateBusyTimeoutMilliseconds = 200

    /// Runs a WAL checkpoint on the writer connection and records `pds_sqlite_checkpoint_duration_seconds{trigger="periodic"}`.
    @discardableResult
    public func checkpoint(_ mode: CheckpointMode) async throws(StorageError) -> CheckpointResult {
        let start = ContinuousClock.now
        let result = try await writeWithoutTransaction(kind: "checkpoint") { db in
            // Only a plain busy timeout (what ``Database/open`` configures) is lowered and restored; a custom
            // busy handler (reported as 0) is left alone.
            let configured = mode == .truncate ? try Int.fetchOne(db, sql: "PRAGMA busy_timeout") ?? 0 : 0
            let previousTimeout: Int? = configured > Self.truncateBusyTimeoutMilliseconds ? configured : nil
            if previousTimeout != nil {
                try db.execute(sql: "PRAGMA busy_timeout = \(Self.truncateBusyTimeoutMilliseconds)")
            }
            defer {
                if let previousTimeout { try? db.execute(sql: "PRAGMA busy_timeout = \(previousTimeout)") }
            }
            do {
                let frames = try db.checkpoint(mode == .truncate ? .truncate : .passive)
                return CheckpointResult(
                    mode: mode, walFrames: frames.walFrameCount, checkpointedFrames: frames.checkpointedFrameCount,
                    busy: false, totalChanges: db.totalChangesCount)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                return CheckpointResult(
                    mode: mode, walFrames: -1, checkpointedFrames: -1, busy: true, totalChanges: db.totalChangesCount)
            }
        }
        metrics.recordCheckpoint(trigger: .periodic, duration: ContinuousClock.now - start)
        return result
    }

    /// `sqlite3_total_changes` of the writer connection (rows changed since it opened).
    public func writerTotalChanges() async throws(StorageError) -> Int {
        try await writeWithoutTransaction(kind: "checkpoint") { db in db.totalChangesCount }
    }
}
