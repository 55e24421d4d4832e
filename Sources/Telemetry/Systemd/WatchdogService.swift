import CoreMetrics
import Logging
import ServiceLifecycle

/// Pings the systemd watchdog only while the liveness checks pass.
///
/// Every ``SystemdNotifier/watchdogInterval`` it runs the liveness checks of the ``HealthRegistry``
/// (bounded by half the interval). When all pass in time it sends `WATCHDOG=1` and increments
/// `pds_watchdog_pings_total`; otherwise it skips the ping, increments
/// `pds_watchdog_pings_skipped_total{check}` per failed check and logs a warning, so a wedged
/// process stops pinging and systemd restarts it. Without a watchdog it just waits for shutdown.
/// Returns on graceful shutdown.
public struct WatchdogService: Service {
    private let notifier: SystemdNotifier
    private let health: HealthRegistry
    private let metricsFactory: (any MetricsFactory)?
    private let logger: Logger
    private let intervalOverride: Duration?

    public init(notifier: SystemdNotifier, health: HealthRegistry, metricsFactory: (any MetricsFactory)?, logger: Logger) {
        self.init(notifier: notifier, health: health, metricsFactory: metricsFactory, logger: logger, interval: nil)
    }

    /// - Parameter interval: overrides the interval derived from `WATCHDOG_USEC` (tests).
    public init(
        notifier: SystemdNotifier,
        health: HealthRegistry,
        metricsFactory: (any MetricsFactory)?,
        logger: Logger,
        interval: Duration?
    ) {
        self.notifier = notifier
        self.health = health
        self.metricsFactory = metricsFactory
        self.logger = logger
        self.intervalOverride = interval
    }

    public func run() async throws {
        guard let interval = intervalOverride ?? notifier.watchdogInterval, notifier.isEnabled else {
            try? await gracefulShutdown()
            return
        }
        logger.debug("systemd watchdog enabled", metadata: ["interval": "\(interval)"])
        // Fixed cadence, and checks bounded by half the interval: two pings are never more than
        // 1.5 intervals (0.75 × WATCHDOG_USEC) apart while the process is healthy.
        let clock = ContinuousClock()
        var next = clock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await tick(deadline: interval / 2)
            next = max(next.advanced(by: interval), clock.now)
            let wakeUp = next
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(until: wakeUp, clock: clock) }
            } catch {
                return
            }
        }
    }

    /// One round: run the liveness checks within `deadline`, then ping or skip.
    func tick(deadline: Duration) async {
        let latch = OutcomeLatch<HealthReport?>()
        let health = self.health
        let checks = Task {
            latch.finish(await health.run(.liveness))
        }
        let timer = Task {
            try? await Task.sleep(for: deadline)
            latch.finish(nil)
        }
        let report = await latch.wait()
        timer.cancel()
        if report == nil { checks.cancel() }

        if let report, report.ok {
            notifier.watchdogPing()
            counter("pds_watchdog_pings_total", []).increment()
            return
        }
        let failed = report?.failures ?? []
        let names = failed.isEmpty ? ["deadline"] : failed.map(\.name)
        for name in names {
            counter("pds_watchdog_pings_skipped_total", [("check", name)]).increment()
        }
        logger.warning(
            "watchdog ping skipped: liveness check failed",
            metadata: [
                "checks": .string(names.joined(separator: ",")),
                "reasons": .string(failed.map { "\($0.name): \($0.reason ?? "failed")" }.joined(separator: "; ")),
                "message_id": "4f2c1a8e9b7d4e0fa1c3b5d7e9f10234",
            ]
        )
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        if let metricsFactory {
            return Counter(label: label, dimensions: dimensions, factory: metricsFactory)
        }
        return Counter(label: label, dimensions: dimensions)
    }
}
