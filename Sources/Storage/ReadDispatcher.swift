import Dispatch
import Synchronization

/// Runs database reads on a concurrent dispatch queue, at most ``limit`` at once (the number of reader connections),
/// so that a burst of reads never parks more threads than there are connections to serve them: the rest wait here,
/// and each finishing read runs the next one on its own thread.
final class ReadDispatcher: Sendable {
    typealias Job = @Sendable () -> Void

    let limit: Int
    private let queue = DispatchQueue(label: "pds.db.read", attributes: .concurrent)
    private let state = Mutex(State())

    private struct State {
        var running = 0
        var waiting: [Job] = []
        var head = 0
    }

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    func submit(_ job: @escaping Job) {
        let runNow = state.withLock { state -> Bool in
            if state.running < limit {
                state.running += 1
                return true
            }
            state.waiting.append(job)
            return false
        }
        if runNow { queue.async { self.run(job) } }
    }

    private func run(_ first: @escaping Job) {
        var job: Job? = first
        while let current = job {
            current()
            job = state.withLock { state -> Job? in
                guard state.head < state.waiting.count else {
                    state.waiting.removeAll(keepingCapacity: true)
                    state.head = 0
                    state.running -= 1
                    return nil
                }
                let next = state.waiting[state.head]
                state.head += 1
                return next
            }
        }
    }

    /// Reads waiting for a turn.
    var waitingCount: Int { state.withLock { $0.waiting.count - $0.head } }

    /// Reads running plus those waiting for a turn.
    var jobs: Int { state.withLock { $0.running + $0.waiting.count - $0.head } }
}
