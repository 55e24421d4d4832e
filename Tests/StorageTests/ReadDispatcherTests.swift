import Foundation
import Synchronization
import Testing

@testable import Storage

@Suite struct ReadDispatcherTests {
    final class Probe: Sendable {
        let state = Mutex((running: 0, peak: 0, done: 0))
    }

    @Test func runsEveryJobWithAtMostLimitAtOnce() async throws {
        let dispatcher = ReadDispatcher(limit: 3)
        let probe = Probe()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        dispatcher.submit {
                            probe.state.withLock { s in
                                s.running += 1
                                s.peak = max(s.peak, s.running)
                            }
                            usleep(200)
                            probe.state.withLock { s in
                                s.running -= 1
                                s.done += 1
                            }
                            continuation.resume()
                        }
                    }
                }
            }
        }
        let final = probe.state.withLock { $0 }
        #expect(final.done == 200)
        #expect(final.peak <= 3)
        #expect(final.running == 0)
        #expect(dispatcher.waitingCount == 0)
    }

    /// `jobs` (pds_work_queue_jobs{queue="db_read"}) counts the running reads and those waiting for a turn.
    @Test func jobsCountRunningAndWaitingReads() async throws {
        let dispatcher = ReadDispatcher(limit: 1)
        let gate = DispatchSemaphore(value: 0)
        let done = Mutex(0)
        dispatcher.submit {
            gate.wait()
            done.withLock { $0 += 1 }
        }
        for _ in 0..<2 { dispatcher.submit { done.withLock { $0 += 1 } } }
        #expect(dispatcher.jobs == 3)
        #expect(dispatcher.waitingCount == 2)
        gate.signal()
        // The last job's slot is released right after it ran.
        let deadline = ContinuousClock.now + .seconds(5)
        while dispatcher.jobs > 0 || done.withLock({ $0 }) < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(done.withLock { $0 } == 3)
        #expect(dispatcher.jobs == 0)
    }

    @Test func databaseReadsStillWorkConcurrently() async throws {
        let f = try await StoreFixture.make()
        defer { f.close() }
        try await f.database.write(kind: "test") { db in
            try db.execute(sql: "CREATE TABLE t (x INTEGER)")
            for i in 0..<100 { try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [i]) }
        }
        let sums = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<64 {
                group.addTask { try await f.database.read(kind: "test") { db in try Int.fetchOne(db, sql: "SELECT SUM(x) FROM t") ?? -1 } }
            }
            var all: [Int] = []
            for try await sum in group { all.append(sum) }
            return all
        }
        #expect(sums == Array(repeating: 4950, count: 64))
    }
}
