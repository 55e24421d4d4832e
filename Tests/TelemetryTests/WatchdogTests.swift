import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import Telemetry

@Suite("WatchdogService")
struct WatchdogTests {
    @Test("pings while liveness passes, stops when a check fails, resumes when it recovers")
    func gatedPings() async throws {
        let receiver = try DatagramReceiver()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path, "WATCHDOG_USEC": "2000000"])
        #expect(notifier.watchdogInterval == .seconds(1))
        let metrics = TelemetryMetrics()
        let healthy = LockedBox(true)
        let health = HealthRegistry(metricsFactory: metrics.factory)
        health.register(name: "event_loop", kinds: [.liveness]) {}
        health.register(name: "db_local", kinds: [.liveness]) {
            struct Wedged: Error {}
            if !healthy.value { throw Wedged() }
        }
        // A failing readiness check must not stop the pings.
        health.register(name: "plc", kinds: [.readiness]) { struct Down: Error {}; throw Down() }
        let capture = LogCapture()
        let service = WatchdogService(
            notifier: notifier,
            health: health,
            metricsFactory: metrics.factory,
            logger: capture.logger()
        )
        let group = ServiceGroup(services: [service], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await group.run() }

        // Other tests may keep the (small) cooperative pool and both cores busy for a long while: the waits for
        // pings are generous (they end at the ping), only the absence of pings is timed.
        #expect(await receiver.next(timeout: .seconds(60)) == "WATCHDOG=1")
        // Pings go on while the checks pass.
        for _ in 0..<2 {
            #expect(await receiver.next(timeout: .seconds(60)) == "WATCHDOG=1")
        }

        healthy.value = false
        _ = await receiver.collect(for: .milliseconds(1200))  // a round already under way may still ping
        let failingPhase = await receiver.collect(for: .milliseconds(2500))
        #expect(failingPhase.isEmpty, "\(failingPhase)")

        healthy.value = true
        #expect(await receiver.next(timeout: .seconds(60)) == "WATCHDOG=1")

        await group.triggerGracefulShutdown()
        try await running.value

        let exposition = Exposition(metrics.render())
        let skipped = try #require(exposition.value("pds_watchdog_pings_skipped_total", labels: #"check="db_local""#))
        #expect(skipped >= 1)
        #expect(exposition.value("pds_watchdog_pings_skipped_total", labels: #"check="event_loop""#) == nil)
        #expect((exposition.value("pds_watchdog_pings_total") ?? 0) >= 4)
        #expect(capture.text.contains("level=warning"))
        #expect(capture.text.contains("checks=db_local"))
    }

    @Test("a liveness check that hangs past the interval skips the ping")
    func hangingCheck() async throws {
        let receiver = try DatagramReceiver()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path])
        let health = HealthRegistry(metricsFactory: TelemetryMetrics().factory)
        health.register(name: "hangs", kinds: [.liveness], timeout: .seconds(30)) {
            try await Task.sleep(for: .seconds(30))
        }
        let service = WatchdogService(
            notifier: notifier,
            health: health,
            metricsFactory: nil,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            interval: .milliseconds(50)
        )
        await service.tick(deadline: .milliseconds(50))
        #expect(await receiver.next(timeout: .milliseconds(100)) == nil)
    }

    @Test("without a watchdog it waits for shutdown and sends nothing")
    func disabledWaits() async throws {
        let receiver = try DatagramReceiver()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path])
        #expect(notifier.watchdogInterval == nil)
        let service = WatchdogService(
            notifier: notifier,
            health: HealthRegistry(),
            metricsFactory: nil,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let group = ServiceGroup(services: [service], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await group.run() }
        #expect(await receiver.next(timeout: .milliseconds(200)) == nil)
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
