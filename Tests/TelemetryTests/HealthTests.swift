import Foundation
import Synchronization
import Testing

@testable import Telemetry

@Suite("HealthRegistry")
struct HealthTests {
    struct DatabaseDown: Error, CustomStringConvertible {
        var description: String { "database is locked" }
    }

    @Test("passing and failing checks, reason and metrics")
    func passAndFail() async throws {
        let metrics = TelemetryMetrics()
        let health = HealthRegistry(metricsFactory: metrics.factory)
        health.register(name: "ping", kinds: [.liveness, .readiness]) {}
        health.register(name: "db", kinds: [.readiness]) { throw DatabaseDown() }

        let live = await health.run(.liveness)
        #expect(live.ok)
        #expect(live.results.map(\.name) == ["ping"])

        let ready = await health.run(.readiness)
        #expect(!ready.ok)
        #expect(ready.results.map(\.name) == ["ping", "db"])
        let db = try #require(ready.results.last)
        #expect(!db.ok && db.reason == "database is locked")
        #expect(ready.failures.map(\.name) == ["db"])
        #expect(ready.verboseText(kind: .readiness) == "[+]ping ok\n[-]db failed: reason withheld\nreadyz check failed\n")

        let exposition = Exposition(metrics.render())
        #expect(exposition.value("pds_healthcheck", labels: #"type="readyz",name="db""#) == 0)
        #expect(exposition.value("pds_healthcheck", labels: #"type="readyz",name="ping""#) == 1)
        #expect(exposition.value("pds_healthcheck", labels: #"type="livez",name="ping""#) == 1)
        #expect(exposition.value("pds_healthcheck_duration_seconds_count", labels: #"name="ping""#) == 2)
        #expect(exposition.value("pds_healthchecks_total", labels: #"type="readyz",name="db",status="error""#) == 1)
        #expect(metrics.unknownMetricNames().isEmpty)
    }

    @Test("a check over its timeout fails with 'timed out' without waiting for it")
    func timeout() async throws {
        let health = HealthRegistry()
        health.register(name: "slow", kinds: [.liveness], timeout: .milliseconds(100)) {
            try await Task.sleep(for: .seconds(3600))
        }
        // A check that ignores cancellation must not hold the report either.
        health.register(name: "stuck", kinds: [.liveness], timeout: .milliseconds(100)) {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().asyncAfter(deadline: .now() + 3600) { continuation.resume() }
            }
        }
        let start = ContinuousClock.now
        let report = await health.run(.liveness)
        let elapsed = ContinuousClock.now - start
        #expect(!report.ok)
        #expect(report.results.map(\.reason) == ["timed out", "timed out"])
        // Both checks would hold the report for an hour if it waited for them; the bound is loose so a loaded
        // machine (seen: 20 s with both cores busy) cannot make this fail, yet far below what waiting would take.
        #expect(elapsed < .seconds(600), "took \(elapsed)")
        for result in report.results {
            #expect(result.duration >= 0.09 && result.duration < 600)
        }
    }

    @Test("a timed-out run that is still going is not started again")
    func stuckRun() async throws {
        let release = LockedBox<CheckedContinuation<Void, Never>?>(nil)
        let starts = LockedBox(0)
        let health = HealthRegistry()
        health.register(name: "wedged", kinds: [.liveness], timeout: .milliseconds(50)) {
            starts.mutate { $0 += 1 }
            await withCheckedContinuation { continuation in release.value = continuation }
        }
        let first = await health.run(.liveness)
        #expect(first.results.first?.reason == "timed out")
        let second = await health.run(.liveness)
        #expect(second.results.first?.reason == "still running after timeout")
        #expect(starts.value == 1)
        // Once the wedged run returns, the check runs again.
        release.value?.resume()
        for _ in 0..<200 where await health.run(.liveness).results.first?.reason == "still running after timeout" {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(starts.value == 2)
        release.value?.resume()
    }

    @Test("concurrent runs of the same check both execute")
    func concurrentRuns() async {
        let health = HealthRegistry()
        health.register(name: "slowish", kinds: [.liveness]) { try await Task.sleep(for: .milliseconds(50)) }
        async let a = health.run(.liveness)
        async let b = health.run(.liveness)
        let (ra, rb) = await (a, b)
        #expect(ra.ok && rb.ok)
    }

    @Test("only runs the one named check; an unknown name is not ok")
    func onlyOne() async {
        let ran = LockedBox<[String]>([])
        let health = HealthRegistry()
        for name in ["a", "b", "c"] {
            health.register(name: name, kinds: [.readiness]) { ran.mutate { $0.append(name) } }
        }
        let report = await health.run(.readiness, only: "b")
        #expect(report.ok)
        #expect(report.results.map(\.name) == ["b"])
        #expect(ran.value == ["b"])

        let unknown = await health.run(.readiness, only: "zzz")
        #expect(!unknown.ok && unknown.results.isEmpty)
        // `only` still respects the kind.
        let wrongKind = await health.run(.liveness, only: "b")
        #expect(wrongKind.results.isEmpty)
    }

    @Test("names by kind in registration order; re-registering replaces")
    func names() async {
        let health = HealthRegistry()
        health.register(name: "event_loop", kinds: [.liveness]) {}
        health.register(name: "db", kinds: [.liveness, .readiness]) {}
        health.register(name: "migrations", kinds: [.readiness]) {}
        health.register(name: "db", kinds: [.liveness, .readiness]) { throw DatabaseDown() }
        #expect(health.names(.liveness) == ["event_loop", "db"])
        #expect(health.names(.readiness) == ["db", "migrations"])
        let report = await health.run(.readiness, only: "db")
        #expect(!report.ok)
    }

    @Test("a kind with no checks is ok")
    func empty() async {
        let report = await HealthRegistry().run(.liveness)
        #expect(report.ok && report.results.isEmpty)
        #expect(report.verboseText(kind: .liveness).hasSuffix("\n"))
    }
}
