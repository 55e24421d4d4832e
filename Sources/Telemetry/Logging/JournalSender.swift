import CoreMetrics
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Sends journald entries from a serial dispatch queue of its own, in the order they were logged, so that no
/// request handler (they run on NIO's event loops) ever waits for journald.
///
/// A journald entry is one datagram, and `sendmsg` on the journal socket blocks while journald is behind (its
/// socket queue is full). Callers only queue the entry. When ``capacity`` entries are already waiting, the
/// entry is dropped and counted in `pds_log_lines_dropped_total`. ``flush(timeout:)`` waits for everything queued so
/// far; it runs at process exit (`atexit`) and when the server stops.
public final class JournalSender: Sendable {
    /// The sender of every ``JournaldLogHandler``.
    public static let shared = JournalSender()

    /// Entries waiting at most; more are dropped.
    public let capacity: Int
    private let queue = DispatchQueue(label: "pds.journal-sender", qos: .utility)

    private struct State {
        var waiting = 0
        var dropped = 0
        var exitFlushInstalled = false
        var droppedCounter: CoreMetrics.Counter?
    }

    private let state = Mutex(State())

    public init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    /// Counts dropped entries in this counter from now on (`pds_log_lines_dropped_total`).
    public func countDrops(in counter: CoreMetrics.Counter) {
        state.withLock { $0.droppedCounter = counter }
    }

    /// Entries waiting or being sent (`pds_work_queue_jobs{queue="journal"}`).
    public var jobs: Int { state.withLock { $0.waiting } }

    /// Entries dropped because ``capacity`` entries were waiting, since the start.
    public var droppedEntries: Int { state.withLock { $0.dropped } }

    /// Queues `send` (one entry); false when it was dropped.
    @discardableResult
    func submit(_ send: @escaping @Sendable () -> Void) -> Bool {
        enum Outcome {
            case queued(installExitFlush: Bool)
            case dropped(CoreMetrics.Counter?)
        }
        let outcome = state.withLock { state -> Outcome in
            guard state.waiting < capacity else {
                state.dropped += 1
                return .dropped(state.droppedCounter)
            }
            state.waiting += 1
            defer { state.exitFlushInstalled = true }
            return .queued(installExitFlush: !state.exitFlushInstalled)
        }
        switch outcome {
        case .dropped(let counter):
            counter?.increment()
            return false
        case .queued(let installExitFlush):
            if installExitFlush, self === JournalSender.shared {
                atexit { JournalSender.shared.flush() }
            }
            queue.async {
                send()
                self.state.withLock { $0.waiting -= 1 }
            }
            return true
        }
    }

    /// Waits (at most `timeout`) until every entry queued before the call was sent.
    public func flush(timeout: Duration = .seconds(2)) {
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        let (seconds, attoseconds) = timeout.components
        _ = done.wait(timeout: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)))
    }
}
