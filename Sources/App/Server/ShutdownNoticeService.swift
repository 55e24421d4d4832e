import Logging
import ServiceLifecycle
import Synchronization
import Telemetry

/// Waits for graceful shutdown, then tells systemd `STOPPING=1` and `STATUS=draining` and logs it.
///
/// It is the last service of the group, so the group shuts it down first: the notice goes out before
/// the HTTP server starts draining.
struct ShutdownNoticeService: Service {
    let notifier: SystemdNotifier
    let logger: Logger
    let begun: ShutdownFlag

    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return  // cancelled: the group is stopping without a graceful phase
        }
        begun.set()
        notifier.stopping()
        notifier.status("draining")
        logger.info("shutting down: draining in-flight requests")
    }
}

/// Set once graceful shutdown has begun.
final class ShutdownFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}
