import ATProto
import CoreMetrics
import Foundation
import GRDB
import Synchronization

/// Group commit: the commits that wait for SQLite's single writer are applied together, in arrival order, in one
/// write transaction, each inside its own savepoint.
///
/// One commit failing (a swap that no longer holds, a missing record, a blob that is not there) rolls back its
/// savepoint only; the others go on. Nobody hears of success before the whole transaction is committed: if the
/// transaction itself fails, every commit of the batch gets the error. A batch costs one writer job, one
/// `BEGIN`/`COMMIT`, and writes each page it shares between commits (the firehose log's tail, the indexes' upper
/// pages, the head of the log) to the WAL once instead of once per commit. When the writer is free a commit goes
/// alone, at once: batching only happens while commits queue up anyway.
///
/// Batches run as jobs on the writer connection's own dispatch queue, and a batch that finds more commits waiting
/// queues the next job there itself: the writer goes from one batch to the next without waiting for a task on an
/// event loop (which is busy with connections), and other writes queued meanwhile (sessions, uploads) still get
/// their turn between two batches. Completions are called on the writer thread, in commit order.
///
/// Records `pds_repo_commit_batch_size` (commits per transaction, i.e. how many were waiting) and the batch's
/// `pds_db_query_duration_seconds{kind="repo_commit"}` (from the job's queueing to its commit).
final class CommitQueue: Sendable {
    /// The most commits one transaction takes (each holds at most 200 writes and 2 MB of event blocks).
    static let maxBatch = 32

    /// One commit: applied on the writer, inside its savepoint.
    typealias Request = @Sendable (GRDB.Database) throws -> CommitOutcome
    /// Called on the writer thread once the commit's transaction has committed (or failed).
    typealias Completion = @Sendable (Result<CommitOutcome, StorageError>) -> Void

    private struct Waiting {
        let request: Request
        let completion: Completion
    }

    private struct State {
        var waiting: [Waiting] = []
        /// A writer job is queued or running; it takes whatever waits when it starts.
        var scheduled = false
        /// Commits of the transaction being applied.
        var applying = 0
    }

    private let database: Database
    private let state = Mutex(State())
    private let batchSize: Recorder

    init(database: Database) {
        self.database = database
        self.batchSize = Recorder(label: "pds_repo_commit_batch_size", aggregate: true, factory: database.metrics.factory)
    }

    /// Commits waiting for the next writer job.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Commits waiting plus those of the transaction being applied.
    var jobs: Int { state.withLock { $0.waiting.count + $0.applying } }

    /// Queues `request` for the writer without waiting: `completion` gets its outcome, on the writer thread, once the
    /// transaction holding it has committed. Callable from any thread (the commit preparation queue hands prepared
    /// commits over this way, without a hop back to the caller's event loop).
    func enqueue(_ request: @escaping Request, completion: @escaping Completion) {
        let schedule = state.withLock { state in
            state.waiting.append(Waiting(request: request, completion: completion))
            if state.scheduled { return false }
            state.scheduled = true
            return true
        }
        if schedule { scheduleBatch() }
    }

    private func scheduleBatch() {
        let queued = ContinuousClock.now
        database.pool.asyncWriteWithoutTransaction { db in self.runBatch(db, queued: queued) }
    }

    /// One writer job: takes what waits (up to ``maxBatch``), applies it, completes it, and queues the next job when
    /// more commits came meanwhile.
    private func runBatch(_ db: GRDB.Database, queued: ContinuousClock.Instant) {
        let batch = state.withLock { state -> [Waiting] in
            let count = min(Self.maxBatch, state.waiting.count)
            let batch = Array(state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            state.applying = count
            if count == 0 { state.scheduled = false }
            return batch
        }
        if batch.isEmpty { return }
        batchSize.record(batch.count)
        let (results, failed) = apply(batch.map(\.request), db: db)
        database.metrics.record(kind: "repo_commit", duration: ContinuousClock.now - queued, failed: failed)
        for (waiting, result) in zip(batch, results) { waiting.completion(result) }
        let more = state.withLock { state in
            state.applying = 0
            if state.waiting.isEmpty { state.scheduled = false }
            return state.scheduled
        }
        if more { scheduleBatch() }
    }

    /// One write transaction for `requests`, each in its own savepoint; a result per request, and whether the
    /// transaction itself failed.
    private func apply(_ requests: [Request], db: GRDB.Database) -> (results: [Result<CommitOutcome, StorageError>], failed: Bool) {
        var results: [Result<CommitOutcome, StorageError>] = []
        results.reserveCapacity(requests.count)
        let feed = database.firehoseFeed
        do {
            try db.inTransaction {
                for request in requests {
                    // A failed statement may have ended the whole transaction (SQLITE_FULL, I/O errors): then a
                    // savepoint would quietly open a new one, and the commits before it would be reported but
                    // lost. Fail the batch instead.
                    guard db.isInsideTransaction else {
                        throw StorageError(.queryFailed, "the commit transaction was aborted")
                    }
                    var outcome: CommitOutcome?
                    let feedMark = feed.mark
                    do {
                        try db.inSavepoint {
                            outcome = try request(db)
                            return .commit
                        }
                        results.append(.success(outcome!))
                    } catch {
                        // Its savepoint was rolled back: so are the firehose events it appended.
                        feed.discard(from: feedMark)
                        results.append(.failure(Database.wrap(error, kind: "repo_commit")))
                    }
                }
                guard db.isInsideTransaction else {
                    throw StorageError(.queryFailed, "the commit transaction was aborted")
                }
                return .commit
            }
            return (results, false)
        } catch {
            let failure = Database.wrap(error, kind: "repo_commit")
            return (requests.map { _ in .failure(failure) }, true)
        }
    }
}
