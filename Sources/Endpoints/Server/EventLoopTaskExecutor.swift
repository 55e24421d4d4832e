import NIOCore
import Synchronization

/// A Swift concurrency task executor that runs jobs on one NIO event loop.
///
/// With NIO's event loops as the global executor (`pds serve`), a task resumed from another thread (a database
/// reader, GRDB's writer, a commit preparation thread) lands on whichever loop comes next, half the time not the
/// loop of its connection; writing the response then hops to the connection's loop once more. A handler that
/// prefers its connection's loop (``ObservedResponder``, when ``ServerSettings/handlersOnConnectionLoop`` is set)
/// is resumed there and writes its response without that second hop.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let loop: any EventLoop

    private init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    private static let executors = Mutex<[ObjectIdentifier: EventLoopTaskExecutor]>([:])

    /// The executor of `loop` (one per loop for the life of the process).
    static func of(_ loop: any EventLoop) -> EventLoopTaskExecutor {
        executors.withLock { executors in
            let key = ObjectIdentifier(loop)
            if let existing = executors[key] { return existing }
            let executor = EventLoopTaskExecutor(loop)
            executors[key] = executor
            return executor
        }
    }
}
