import ATProto
import Foundation
import GRDB
import MetricsTestKit
import Synchronization
import Testing

@testable import Storage

/// Group commit: commits that wait for the writer share one transaction, each in its own savepoint.
@Suite struct CommitQueueTests {
    /// Holds the writer (inside a write transaction) until released, so that commits queue up behind it.
    final class WriterGate: Sendable {
        let entered = Atomic<Bool>(false)
        let released = Atomic<Bool>(false)

        func hold(_ database: Storage.Database) -> Task<Void, any Error> {
            Task {
                try await database.write(kind: "test") { _ in
                    self.entered.store(true, ordering: .sequentiallyConsistent)
                    while !self.released.load(ordering: .sequentiallyConsistent) { usleep(1_000) }
                }
            }
        }

        func waitUntilHeld() async throws {
            while !entered.load(ordering: .sequentiallyConsistent) { try await Task.sleep(for: .milliseconds(1)) }
        }
    }

    @Test func waitingCommitsShareATransactionAndAFailureStaysInItsSavepoint() async throws {
        let metrics = TestMetrics()
        let f = try await StoreFixture.make(metricsFactory: metrics)
        defer { f.close() }
        for name in ["q0", "q1", "q2", "q3"] { try await f.account(name) }
        let before = try #require(try await f.repos.head(did: "did:plc:q1"))

        let gate = WriterGate()
        let holder = gate.hold(f.database)
        try await gate.waitUntilHeld()

        // 24 commits across four repos, and one with a stale swapCommit in the middle of them.
        let repos = f.repos
        let commits = Task {
            await withTaskGroup(of: (Int, Result<CommitOutcome, StorageError>).self) { group in
                for i in 0..<25 {
                    group.addTask {
                        do throws(StorageError) {
                            let write = RepoStoreTests.create("k\(i)", "text \(i)")
                            let outcome = try await repos.applyWrites(
                                did: "did:plc:q\(i % 4)", writes: [write], swapCommit: i == 12 ? CID.dagCBOR(hashing: [7]) : nil)
                            return (i, .success(outcome))
                        } catch {
                            return (i, .failure(error))
                        }
                    }
                }
                var results: [Int: Result<CommitOutcome, StorageError>] = [:]
                for await (i, result) in group { results[i] = result }
                return results
            }
        }
        // All 25 wait while the writer is held (one writer job is queued for them behind the gate). Then it opens.
        while f.repos.commitQueue.waitingCount < 25 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(f.repos.commitJobs == 25)
        gate.released.store(true, ordering: .sequentiallyConsistent)
        try await holder.value
        let results = await commits.value

        #expect(results.count == 25)
        for (i, result) in results {
            switch result {
            case .success(let outcome):
                #expect(i != 12)
                #expect(outcome.applied.map(\.rkey) == ["k\(i)"])
            case .failure(let error):
                #expect(i == 12)
                #expect(error.code == .invalidSwap)
            }
        }
        // Everything acknowledged is stored and each repo verifies.
        for q in 0..<4 {
            let did = "did:plc:q\(q)"
            let acknowledged = Set(results.compactMap { i, r in (try? r.get()).flatMap { $0.did == did ? "k\(i)" : nil } })
            try await RepoStoreTests.expectPosts(acknowledged, storedIn: did, f)
        }
        let seqs = results.values.compactMap { try? $0.get().seq }
        #expect(Set(seqs).count == 24)
        let q1Head = try #require(try await f.repos.head(did: "did:plc:q1"))
        #expect(q1Head.rev > before.rev)

        // The 25 that waited shared one transaction.
        let sizes = try metrics.expectRecorder("pds_repo_commit_batch_size").values
        #expect(sizes == [25])
    }

    @Test func otherWritesGetTheWriterBetweenTwoBatches() async throws {
        let metrics = TestMetrics()
        let f = try await StoreFixture.make(metricsFactory: metrics)
        defer { f.close() }
        try await f.account("q0")

        let gate = WriterGate()
        let holder = gate.hold(f.database)
        try await gate.waitUntilHeld()

        // 40 commits wait behind the held writer: more than one batch takes.
        let repos = f.repos
        let commits = Task {
            await withTaskGroup(of: Bool.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        (try? await repos.applyWrites(did: "did:plc:q0", writes: [RepoStoreTests.create("k\(i)", "text \(i)")])) != nil
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
        }
        while f.repos.commitQueue.waitingCount < 40 { try await Task.sleep(for: .milliseconds(1)) }
        // Another write queued now runs after the first batch and before the second.
        let other = Task {
            try await f.database.write(kind: "test") { db in
                (jobs: repos.commitJobs, records: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM record") ?? -1)
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        gate.released.store(true, ordering: .sequentiallyConsistent)
        try await holder.value
        let seen = try await other.value
        #expect(await commits.value == 40)

        #expect(seen.jobs == 40 - CommitQueue.maxBatch)
        #expect(seen.records == CommitQueue.maxBatch)
        let sizes = try metrics.expectRecorder("pds_repo_commit_batch_size").values
        #expect(sizes == [Double(CommitQueue.maxBatch), Double(40 - CommitQueue.maxBatch)])
        try await RepoStoreTests.expectPosts(Set((0..<40).map { "k\($0)" }), storedIn: "did:plc:q0", f)
    }

    @Test func aCommitRolledBackInItsSavepointTakesItsFirehoseEventsWithIt() async throws {
        let f = try await StoreFixture.make()
        defer { f.close() }
        try await f.account("q0")
        let database = f.database
        let delivered = Mutex<[Int64]>([])
        database.observeFirehoseCommits { events in delivered.withLock { $0 += events.map(\.seq) } }

        let gate = WriterGate()
        let holder = gate.hold(database)
        try await gate.waitUntilHeld()
        // Three commits in one batch; the middle one appends an event and then fails.
        final class Outcomes: Sendable {
            let results = Mutex<[Int: Result<CommitOutcome, StorageError>]>([:])
            func set(_ i: Int, _ result: Result<CommitOutcome, StorageError>) { results.withLock { $0[i] = result } }
            var all: [Int: Result<CommitOutcome, StorageError>] { results.withLock { $0 } }
        }
        let outcomes = Outcomes()
        let repos = f.repos
        for i in 0..<3 {
            if i == 1 {
                repos.commitQueue.enqueue(
                    { db in
                        _ = try EventLog.append([.identity(did: "did:plc:q0", handle: nil)], db: db, nowMicros: 1, database: database)
                        throw StorageError(.conflict, "fails after its event")
                    },
                    completion: { result in outcomes.set(i, result) })
            } else {
                Task { [i] in
                    let result: Result<CommitOutcome, StorageError>
                    do throws(StorageError) {
                        result = .success(try await repos.applyWrites(did: "did:plc:q0", writes: [RepoStoreTests.create("k\(i)", "t")]))
                    } catch {
                        result = .failure(error)
                    }
                    outcomes.set(i, result)
                }
                while repos.commitQueue.waitingCount < i + 1 { try await Task.sleep(for: .milliseconds(1)) }
            }
        }
        gate.released.store(true, ordering: .sequentiallyConsistent)
        try await holder.value
        while outcomes.all.count < 3 { try await Task.sleep(for: .milliseconds(1)) }

        let results = outcomes.all
        let first = try #require(try? results[0]?.get())
        let third = try #require(try? results[2]?.get())
        #expect((try? results[1]?.get()) == nil)
        // Only the two stored commits' events reach the listener, with consecutive numbers.
        #expect(third.seq == first.seq + 1)
        #expect(delivered.withLock { $0.suffix(2) } == [first.seq, third.seq])
        let stored = try await database.firehoseEvents(after: first.seq - 1, limit: 10).map(\.seq)
        #expect(stored == [first.seq, third.seq])
    }
}
