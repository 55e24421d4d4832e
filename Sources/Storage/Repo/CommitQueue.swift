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
/// transaction itself fails, every commit of the batch gets the error. A batch costs one writer hop, one
/// `BEGIN`/`COMMIT`, and writes each page it shares between commits (the firehose log's tail, the indexes' upper
/// pages, the head of the log) to the WAL once instead of once per commit. When the writer is free a commit goes
/// alone, at once: batching only happens while commits queue up anyway.
///
/// Records `pds_repo_commit_batch_size` (commits per transaction, i.e. how many were waiting).
final class CommitQueue: Sendable {
    /// The most commits one transaction takes (each holds at most 200 writes and 2 MB of event blocks).
    static let maxBatch = 32

    /// One commit: applied on the writer, inside its savepoint.
    typealias Request = @Sendable (GRDB.Database) throws -> CommitOutcome

    private struct Waiting {
        let request: Request
        let continuation: CheckedContinuation<CommitOutcome, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var draining = false
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

    /// Commits queued behind the one being applied.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Commits waiting plus those of the transaction being applied.
    var jobs: Int { state.withLock { $0.waiting.count + $0.applying } }

    /// Applies `request` and returns its outcome once the transaction holding it has committed: at once and alone
    /// when no commit is under way, else with the next batch.
    func commit(_ request: @escaping Request) async throws(StorageError) -> CommitOutcome {
        let leads = state.withLock { state in
            if state.draining { return false }
            state.draining = true
            state.applying += 1
            return true
        }
        if leads {
            // The writer was idle: this task applies its own commit (no extra hop), then hands over to whoever came
            // meanwhile.
            batchSize.record(1)
            let result = await apply([request])[0]
            let more = state.withLock { state in
                state.applying -= 1
                if state.waiting.isEmpty { state.draining = false }
                return state.draining
            }
            if more { Task { await self.drain() } }
            return try result.get()
        }
        do {
            return try await withCheckedThrowingContinuation { continuation in
                let startDraining = state.withLock { state in
                    state.waiting.append(Waiting(request: request, continuation: continuation))
                    if state.draining { return false }
                    state.draining = true
                    return true
                }
                if startDraining {
                    Task { await self.drain() }
                }
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw Database.wrap(error, kind: "repo_commit")
        }
    }

    /// Applies batches until nobody waits.
    private func drain() async {
        var applied = 0
        while true {
            let batch = state.withLock { state -> [Waiting] in
                state.applying -= applied
                guard !state.waiting.isEmpty else {
                    state.draining = false
                    return []
                }
                let count = min(Self.maxBatch, state.waiting.count)
                let batch = Array(state.waiting.prefix(count))
                state.waiting.removeFirst(count)
                state.applying += count
                return batch
            }
            if batch.isEmpty { return }
            batchSize.record(batch.count)
            let results = await apply(batch.map(\.request))
            applied = batch.count
            for (waiting, result) in zip(batch, results) {
                waiting.continuation.resume(with: result.mapError { $0 as any Error })
            }
        }
    }

    /// One write transaction for `requests`, each in its own savepoint; a result per request.
    private func apply(_ requests: [Request]) async -> [Result<CommitOutcome, StorageError>] {
        do {
            return try await database.write(kind: "repo_commit") { db in
                var results: [Result<CommitOutcome, StorageError>] = []
                results.reserveCapacity(requests.count)
                for request in requests {
                    // A failed statement may have ended the whole transaction (SQLITE_FULL, I/O errors): then a
                    // savepoint would quietly open a new one, and the commits before it would be reported but
                    // lost. Fail the batch instead.
                    guard db.isInsideTransaction else {
                        throw StorageError(.queryFailed, "the commit transaction was aborted")
                    }
                    var outcome: CommitOutcome?
                    do {
                        try db.inSavepoint {
                            outcome = try request(db)
                            return .commit
                        }
                        results.append(.success(outcome!))
                    } catch {
                        results.append(.failure(Database.wrap(error, kind: "repo_commit")))
                    }
                }
                guard db.isInsideTransaction else {
                    throw StorageError(.queryFailed, "the commit transaction was aborted")
                }
                return results
            }
        } catch {
            return requests.map { _ in .failure(error) }
        }
    }
}
