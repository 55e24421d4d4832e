import Foundation
import Synchronization
import Telemetry
import Testing

@testable import Endpoints

@Suite("requestCrawl to relays (crawl notifier and client)")
struct CrawlNotifierTests {
    /// A clock that only moves when told, and a head the test sets.
    final class Controls: Sendable {
        let base = ContinuousClock.now
        private let offset = Mutex(Duration.zero)
        private let headSeq = Mutex<Int64?>(nil)

        var now: ContinuousClock.Instant { base + offset.withLock { $0 } }
        func advance(_ duration: Duration) { offset.withLock { $0 += duration } }
        var head: Int64? {
            get { headSeq.withLock { $0 } }
            set { headSeq.withLock { $0 = newValue } }
        }
    }

    struct Fixture {
        let metrics = TelemetryMetrics()
        let logs = LogCapture()
        let controls = Controls()

        func client(attempts: Int = 3, timeout: Duration = .seconds(10)) -> RelayCrawlClient {
            RelayCrawlClient(
                settings: .init(
                    hostname: "pds.example.com", timeout: timeout, maxAttempts: attempts,
                    initialBackoff: .milliseconds(5)),
                metricsFactory: metrics.factory, logger: logs.logger())
        }

        func notifier(relays: [String], attempts: Int = 3) -> CrawlNotifier {
            let controls = controls
            return CrawlNotifier(
                settings: .init(relays: relays, throttle: .seconds(20 * 60), checkInterval: .milliseconds(10)),
                client: client(attempts: attempts), head: { controls.head }, now: { controls.now },
                logger: logs.logger())
        }

        func sample(_ name: String, _ labels: [String: String]) -> Double? {
            MetricsText.value(in: metrics.render(), name: name, labels: labels)
        }
    }

    struct TimedOut: Error {}

    /// Waits until the notifier has looked at the head `count` more times.
    static func waitForChecks(_ notifier: CrawlNotifier, _ count: Int) async throws {
        let target = notifier.checkCount + count
        let deadline = ContinuousClock.now + .seconds(120)
        while notifier.checkCount < target {
            guard ContinuousClock.now < deadline else { throw TimedOut() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test("the service asks at startup, not again within 20 minutes, again after new events once the window passed")
    func startupThrottleAndNewEvents() async throws {
        let relay = try await TestRelay.start()
        defer { Task { await relay.stop() } }
        let fixture = Fixture()
        fixture.controls.head = 100
        let notifier = fixture.notifier(relays: [relay.url])
        let running = Task { try await notifier.run() }
        defer { running.cancel() }

        // Startup.
        #expect(await relay.waitUntil { $0.requestCount == 1 })
        #expect(relay.requests.first == TestRelay.Request(hostname: "pds.example.com", contentType: "application/json"))

        // New events inside the window: nothing is sent.
        fixture.controls.head = 105
        fixture.controls.advance(.seconds(19 * 60))
        try await Self.waitForChecks(notifier, 3)
        #expect(relay.requestCount == 1)

        // The window passes: the pending update goes out once.
        fixture.controls.advance(.seconds(60))
        #expect(await relay.waitUntil { $0.requestCount == 2 })
        try await Self.waitForChecks(notifier, 3)
        #expect(relay.requestCount == 2)

        // The window passes again without new events: nothing to tell.
        fixture.controls.advance(.seconds(21 * 60))
        try await Self.waitForChecks(notifier, 3)
        #expect(relay.requestCount == 2)

        // A new event after that goes out at once.
        fixture.controls.head = 106
        #expect(await relay.waitUntil { $0.requestCount == 3 })
        try await Self.waitForChecks(notifier, 2)  // the check that sent it has finished (metrics, log)
        #expect(relay.requestCount == 3)

        let host = "127.0.0.1:\(relay.port)"
        #expect(fixture.sample("pds_crawl_requests_total", ["host": host, "result": "ok"]) == 3)
        let sent = fixture.logs.entries.filter { $0.message == "requestCrawl sent" }
        #expect(sent.count == 3)
        #expect(sent.first?.metadata["host"] == host)
        #expect(sent.first?.metadata["result"] == "ok")
        #expect(sent.first?.metadata["status"] == "200")
        #expect(sent.first?.metadata["attempts"] == "1")
        #expect(sent.first?.metadata["duration_ms"] != nil)
    }

    @Test("an empty log at startup: asked at startup, then after the first event once the window passed")
    func emptyLogThenFirstEvent() async throws {
        let relay = try await TestRelay.start()
        defer { Task { await relay.stop() } }
        let fixture = Fixture()
        let notifier = fixture.notifier(relays: [relay.url])
        #expect(await notifier.checkOnce().map(\.result) == [.ok])
        #expect(await notifier.checkOnce().isEmpty)
        fixture.controls.advance(.seconds(20 * 60))
        #expect(await notifier.checkOnce().isEmpty)  // still no event
        fixture.controls.head = 1
        #expect(await notifier.checkOnce().map(\.result) == [.ok])
        #expect(relay.requestCount == 2)
    }

    @Test("a failing relay is retried with backoff, counted as error, and asked again only after the window")
    func failingRelayIsRetriedAndCounted() async throws {
        let relay = try await TestRelay.start()
        defer { Task { await relay.stop() } }
        relay.mode = .failing
        let fixture = Fixture()
        fixture.controls.head = 7
        let notifier = fixture.notifier(relays: [relay.url], attempts: 3)
        let outcomes = await notifier.checkOnce()
        #expect(outcomes.count == 1)
        #expect(outcomes.first?.result == .error)
        #expect(outcomes.first?.status == 503)
        #expect(outcomes.first?.attempts == 3)
        #expect(outcomes.first?.message == "test relay failure")
        #expect(relay.requestCount == 3)
        #expect(notifier.lastOutcome(relay: relay.url)?.result == .error)
        let host = "127.0.0.1:\(relay.port)"
        #expect(fixture.sample("pds_crawl_requests_total", ["host": host, "result": "error"]) == 1)
        #expect(fixture.sample("pds_crawl_requests_total", ["host": host, "result": "ok"]) == nil)
        #expect(fixture.logs.entries.filter { $0.message == "requestCrawl attempt failed, retrying" }.count == 2)
        let failed = fixture.logs.entries.first { $0.message == "requestCrawl failed" }
        #expect(failed?.level == .warning)
        #expect(failed?.metadata["result"] == "error")
        #expect(failed?.metadata["status"] == "503")

        // Not hammered: nothing inside the window, new events or not; after it the relay (now healthy) is asked
        // again even without new events, since it never heard from us.
        #expect(await notifier.checkOnce().isEmpty)
        fixture.controls.advance(.seconds(19 * 60))
        #expect(await notifier.checkOnce().isEmpty)
        relay.mode = .normal
        fixture.controls.advance(.seconds(60))
        #expect(await notifier.checkOnce().map(\.result) == [.ok])
        #expect(relay.requestCount == 4)
        #expect(fixture.sample("pds_crawl_requests_total", ["host": host, "result": "ok"]) == 1)
        // Once it succeeded, it waits for new events again.
        fixture.controls.advance(.seconds(21 * 60))
        #expect(await notifier.checkOnce().isEmpty)
    }

    @Test("a refusal (4xx) is final: no retry, counted as rejected with the relay's message")
    func refusalIsNotRetried() async throws {
        let relay = try await TestRelay.start()
        defer { Task { await relay.stop() } }
        relay.mode = .refusing
        let fixture = Fixture()
        let outcome = await fixture.client().requestCrawl(relay: relay.url + "/")
        #expect(outcome.result == .rejected)
        #expect(outcome.status == 400)
        #expect(outcome.attempts == 1)
        #expect(outcome.message == TestRelay.refusalMessage)
        #expect(relay.requestCount == 1)
        #expect(fixture.sample("pds_crawl_requests_total", ["host": "127.0.0.1:\(relay.port)", "result": "rejected"]) == 1)
    }

    @Test("an unreachable relay is an error after every attempt")
    func unreachableRelay() async throws {
        let url = "http://127.0.0.1:1"  // nothing listens on port 1: connection refused (or a timeout)
        let fixture = Fixture()
        let outcome = await fixture.client(attempts: 2, timeout: .seconds(1)).requestCrawl(relay: url)
        #expect(outcome.result == .error)
        #expect(outcome.status == nil)
        #expect(outcome.attempts == 2)
        #expect(outcome.message != nil)
        #expect(fixture.sample("pds_crawl_requests_total", ["host": RelayCrawlClient.host(of: url), "result": "error"]) == 1)
    }

    @Test("several relays are asked independently; one failing does not hold back the other")
    func severalRelays() async throws {
        let good = try await TestRelay.start()
        let bad = try await TestRelay.start()
        defer { Task { await good.stop(); await bad.stop() } }
        bad.mode = .refusing
        let fixture = Fixture()
        fixture.controls.head = 1
        let notifier = fixture.notifier(relays: [good.url, bad.url, good.url])
        let outcomes = await notifier.checkOnce()
        #expect(Dictionary(outcomes.map { ($0.relay, $0.result) }, uniquingKeysWith: { a, _ in a }) == [good.url: .ok, bad.url: .rejected])
        #expect(outcomes.count == 2)  // the duplicate entry is asked once
        #expect(good.requestCount == 1)
        #expect(bad.requestCount == 1)
    }

    @Test("host labels come from the relay URL")
    func hostLabel() {
        #expect(RelayCrawlClient.host(of: "https://bsky.network") == "bsky.network")
        #expect(RelayCrawlClient.host(of: "https://relay.example.com:8443/") == "relay.example.com:8443")
        #expect(RelayCrawlClient.host(of: "not a url") == "not a url")
    }
}
