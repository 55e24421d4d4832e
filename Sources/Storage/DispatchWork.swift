import Dispatch
import Synchronization

/// A concurrent dispatch queue that async callers hand blocking or CPU-heavy work to, so that it never runs on
/// Swift concurrency's threads (NIO's event loops in `pds serve`), counting the jobs it holds for
/// `pds_work_queue_jobs`. Used by ``BlockingFileWork`` and the commit preparation of ``RepoStore``.
final class DispatchWork: Sendable {
    private let queue: DispatchQueue
    private let inFlight = Atomic<Int>(0)

    init(label: String, qos: DispatchQoS) {
        queue = DispatchQueue(label: label, qos: qos, attributes: .concurrent)
    }

    /// Jobs queued or running.
    var jobs: Int { inFlight.load(ordering: .relaxed) }

    /// Runs `body` on the queue and returns its value.
    func perform<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            submit { continuation.resume(returning: body()) }
        }
    }

    /// Runs `body` on the queue without waiting for it (it passes its result on itself).
    func submit(_ body: @escaping @Sendable () -> Void) {
        inFlight.add(1, ordering: .relaxed)
        queue.async {
            body()
            self.inFlight.subtract(1, ordering: .relaxed)
        }
    }
}
