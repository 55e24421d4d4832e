import CoreMetrics
import Foundation
import GRDB
import Logging

/// The server's one SQLite database (`<data>/pds.sqlite`), opened as a GRDB `DatabasePool` in WAL mode
/// with `synchronous=NORMAL`, a 5 s busy timeout and foreign keys on.
///
/// Every access goes through ``read(kind:_:)`` / ``write(kind:_:)``, which are async (GRDB runs the work on
/// its own dispatch queues, never on the caller's event loop) and record
/// `pds_db_query_duration_seconds{kind}` and `pds_db_errors_total{kind}`.
public final class Database: Sendable {
    /// Path of the SQLite file.
    public let path: String
    /// The underlying GRDB pool, for Storage-internal stores that need GRDB APIs directly.
    public let pool: DatabasePool
    let logger: Logger
    let metrics: DatabaseMetrics
    let identity: FileIdentity?
    /// Where ``read(kind:_:)`` runs its work.
    let reads: ReadDispatcher
    /// Runs WAL checkpoints beside the writer instead of inside commits.
    let checkpointer: WALCheckpointer
    /// The connections of ``readStatement(kind:_:)``.
    let statementReaders: StatementReaders
    /// Events of the open write transaction, for the sequencer once it commits (``FirehoseFeed``).
    let firehoseFeed = FirehoseFeed()

    private init(
        path: String, pool: DatabasePool, logger: Logger, metrics: DatabaseMetrics, readers: Int, checkpointer: WALCheckpointer,
        statementReaders: StatementReaders
    ) {
        self.checkpointer = checkpointer
        self.statementReaders = statementReaders
        self.reads = ReadDispatcher(limit: readers)
        self.path = path
        self.pool = pool
        self.logger = logger
        self.metrics = metrics
        self.identity = FileIdentity(path: path)
    }

    /// Opens (creating if needed) the database at `path`. The parent directory must exist.
    ///
    /// - Parameters:
    ///   - metricsFactory: where database metrics go; `nil` uses the global `MetricsSystem.factory`.
    ///   - busyTimeout: how long a writer waits for the lock before failing with `SQLITE_BUSY`.
    ///   - walCheckpointPages: WAL growth, in pages, that starts a checkpoint beside the writer (``WALCheckpointer``).
    public static func open(
        path: String,
        metricsFactory: (any MetricsFactory)? = nil,
        logger: Logger,
        busyTimeout: Duration = .seconds(5),
        maximumReaderCount: Int = 8,
        walCheckpointPages: Int = Database.walCheckpointPages
    ) async throws(StorageError) -> Database {
        let metrics = DatabaseMetrics(factory: metricsFactory ?? MetricsSystem.factory)
        let checkpointer = WALCheckpointer(path: path, thresholdPages: walCheckpointPages, metrics: metrics)
        var configuration = Configuration()
        configuration.label = "pds"
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(Double(busyTimeout.components.seconds) + Double(busyTimeout.components.attoseconds) / 1e18)
        configuration.maximumReaderCount = maximumReaderCount
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Savepoint sub-journals (one per commit of a group commit) and sorter spills stay in memory: on disk
            // SQLite creates, writes and unlinks a file in /var/tmp whenever a transaction's sub-journal passes
            // 64 KiB, which a batch of commits often does.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            if !db.configuration.readonly {
                // The writer reads the pages it changes: a larger cache than the default 2 MB keeps the indexes
                // of busy repositories in memory (readers keep the default; there are up to eight of them).
                try db.execute(sql: "PRAGMA cache_size = -\(Self.writerCacheKiB)")
                try checkpointer.install(on: db)
            }
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            let reason = (error as? DatabaseError)?.message ?? "\(error)"
            throw StorageError(.openFailed, "cannot open database '\(path)': \(reason)", underlying: error)
        }
        let database = Database(
            path: path, pool: pool, logger: logger, metrics: metrics, readers: maximumReaderCount, checkpointer: checkpointer,
            statementReaders: StatementReaders(path: path, configuration: configuration, limit: maximumReaderCount))
        // Prove the file is a usable SQLite database now rather than at the first request.
        do throws(StorageError) {
            let mode = try await database.read(kind: "open") { db in
                try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? ""
            }
            guard mode.lowercased() == "wal" else {
                throw StorageError(.openFailed, "database '\(path)' is not in WAL mode (journal_mode=\(mode))")
            }
        } catch {
            try? database.close()
            throw StorageError(.openFailed, "cannot open database '\(path)': \(error.message)", underlying: error.underlying)
        }
        return database
    }

    /// Page cache of the writer connection, in KiB (SQLite allocates it as pages are read).
    static let writerCacheKiB = 32 * 1024

    /// WAL growth, in pages, that starts a checkpoint beside the writer (``WALCheckpointer``; SQLite's own automatic
    /// checkpoint, turned off on the writer, would use 1000). Each round ends with a catch-up inside a commit whose
    /// length grows with the round's size: at 500 the createRecord p99 at 16 clients was 13.5-13.8 ms against
    /// 14.8-15.8 ms at 1000, for the same throughput (three alternating runs each).
    public static let walCheckpointPages = 500

    // MARK: Access

    /// Runs `body` in a read-only transaction on one of the pool's reader connections.
    public func read<T: Sendable>(
        kind: String, _ body: @escaping @Sendable (GRDB.Database) throws -> T
    ) async throws(StorageError) -> T {
        try await read(kind: kind, isolated: true, body)
    }

    /// ``read(kind:_:)`` without the transaction GRDB opens around `body`, for a body that runs a single SQL
    /// statement and uses no GRDB schema introspection (record types): SQLite reads one statement from one snapshot
    /// anyway, and the `BEGIN`/`COMMIT` pair (or, outside a transaction, GRDB's schema-version check) costs more
    /// than a point lookup (getRecord, listRecords). Runs on ``StatementReaders``.
    public func readStatement<T: Sendable>(
        kind: String, _ body: @escaping @Sendable (GRDB.Database) throws -> T
    ) async throws(StorageError) -> T {
        try await read(kind: kind, isolated: false, body)
    }

    private func read<T: Sendable>(
        kind: String, isolated: Bool, _ body: @escaping @Sendable (GRDB.Database) throws -> T
    ) async throws(StorageError) -> T {
        let start = ContinuousClock.now
        do {
            let value = try await readOffTheCaller(isolated: isolated, body)
            metrics.record(kind: kind, duration: ContinuousClock.now - start, failed: false)
            return value
        } catch {
            metrics.record(kind: kind, duration: ContinuousClock.now - start, failed: true)
            throw Self.wrap(error, kind: kind)
        }
    }

    /// Runs `body` with GRDB's synchronous read through ``reads``: one hop off the caller's thread and back.
    ///
    /// GRDB's async `read` makes two round trips (one to a queue that waits for a free reader connection, one to
    /// that reader's queue), four thread switches per read; profiles of getRecord showed them as the largest cost.
    /// The synchronous read takes a free reader and runs on the calling thread (`DispatchQueue.sync` on an idle
    /// queue), so calling it from ``reads`` needs one round trip. At most as many reads run at once as there are
    /// reader connections (``ReadDispatcher``); nothing blocks a NIO event loop or a Swift concurrency thread.
    private func readOffTheCaller<T: Sendable>(
        isolated: Bool, _ body: @escaping @Sendable (GRDB.Database) throws -> T
    ) async throws -> T {
        let pool = self.pool
        let statementReaders = self.statementReaders
        return try await withCheckedThrowingContinuation { continuation in
            reads.submit {
                continuation.resume(with: Result { isolated ? try pool.read(body) : try statementReaders.read(body) })
            }
        }
    }

    /// Runs `body` in one write transaction (committed when `body` returns, rolled back when it throws).
    public func write<T: Sendable>(
        kind: String, _ body: @Sendable (GRDB.Database) throws -> T
    ) async throws(StorageError) -> T {
        let start = ContinuousClock.now
        do {
            let value = try await pool.write(body)
            metrics.record(kind: kind, duration: ContinuousClock.now - start, failed: false)
            return value
        } catch {
            metrics.record(kind: kind, duration: ContinuousClock.now - start, failed: true)
            throw Self.wrap(error, kind: kind)
        }
    }

    /// Runs `body` on the writer connection without opening a transaction (for work that manages its own).
    public func writeWithoutTransaction<T: Sendable>(
        kind: String, _ body: @Sendable (GRDB.Database) throws -> T
    ) async throws(StorageError) -> T {
        let start = ContinuousClock.now
        do {
            let value = try await pool.writeWithoutTransaction(body)
            metrics.record(kind: kind, duration: ContinuousClock.now - start, failed: false)
            return value
        } catch {
            metrics.record(kind: kind, duration: ContinuousClock.now - start, failed: true)
            throw Self.wrap(error, kind: kind)
        }
    }

    static func wrap(_ error: any Error, kind: String) -> StorageError {
        if let storageError = error as? StorageError {
            return storageError
        }
        if error is CancellationError {
            return StorageError(.queryFailed, "database \(kind) was cancelled", underlying: error)
        }
        let reason = (error as? DatabaseError)?.message ?? "\(error)"
        return StorageError(.queryFailed, "database \(kind) failed: \(reason)", underlying: error)
    }

    // MARK: Migrations

    /// Applies pending migrations (by default the ones embedded in the binary); see ``MigrationRunner``.
    @discardableResult
    public func migrate(_ migrations: [Migration] = EmbeddedMigrations.all) async throws(StorageError)
        -> MigrationRunner.Outcome
    {
        let runner = try MigrationRunner(migrations: migrations)
        let start = ContinuousClock.now
        do throws(StorageError) {
            let outcome = try await runner.run(on: pool, logger: logger)
            metrics.record(kind: "migrate", duration: ContinuousClock.now - start, failed: false)
            return outcome
        } catch {
            metrics.record(kind: "migrate", duration: ContinuousClock.now - start, failed: true)
            throw error
        }
    }

    /// The rows of `schema_migrations`, oldest first.
    public func appliedMigrations() async throws(StorageError) -> [MigrationRunner.AppliedMigration] {
        try await read(kind: "migrations") { db in try MigrationRunner.appliedMigrations(db) }
    }

    /// Names from `migrations` that are not recorded as applied (empty when the schema is current).
    public func pendingMigrations(_ migrations: [Migration] = EmbeddedMigrations.all) async throws(StorageError)
        -> [String]
    {
        let applied = Set(try await appliedMigrations().map(\.name))
        return migrations.map(\.name).filter { !applied.contains($0) }
    }

    /// Reads running or waiting for a reader connection (`pds_work_queue_jobs{queue="db_read"}`).
    public var readJobs: Int { reads.jobs }

    // MARK: Lifecycle

    /// Closes every connection. Later calls fail with `queryFailed`.
    public func close() throws(StorageError) {
        // The writer's WAL hook points at the checkpointer: remove it first.
        try? pool.writeWithoutTransaction { db in WALCheckpointer.uninstall(from: db) }
        checkpointer.close()
        statementReaders.close()
        do {
            try pool.close()
        } catch {
            throw StorageError(.queryFailed, "cannot close database '\(path)'", underlying: error)
        }
    }
}
