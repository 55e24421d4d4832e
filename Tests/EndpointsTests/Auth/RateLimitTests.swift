import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Metrics
import Telemetry
import Testing

@testable import Endpoints

@Suite struct RateLimitTests {
    typealias Server = TestServerWithServices

    @Test func fixedWindowsCountResetAndReport() {
        let metrics = TelemetryMetrics()
        let limiter = RateLimiter(settings: .init(), metricsFactory: metrics.factory)
        let policy = RateLimitPolicy(name: "test", windowSeconds: 60, points: 3)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 1...3 {
            let decision = limiter.consume([policy], key: "1.2.3.4", route: "r", now: start.addingTimeInterval(Double(index - 1)))
            #expect(decision.exceeded == nil)
            #expect(decision.reported?.remaining == 3 - index)
            #expect(decision.reported?.resetAt == start.timeIntervalSince1970 + 60)
        }
        let refused = limiter.consume([policy], key: "1.2.3.4", route: "r", now: start.addingTimeInterval(10))
        #expect(refused.exceeded?.policy == policy)
        let headers = refused.headers(now: start.addingTimeInterval(10))
        #expect(headers[RateLimiter.limitHeader] == "3")
        #expect(headers[RateLimiter.remainingHeader] == "0")
        #expect(headers[RateLimiter.resetHeader] == "1800000060")
        #expect(headers[RateLimiter.policyHeader] == "3;w=60")
        #expect(headers[.retryAfter] == "50")
        // Other keys have their own windows; the window resets after its length.
        #expect(limiter.consume([policy], key: "5.6.7.8", route: "r", now: start).exceeded == nil)
        let later = limiter.consume([policy], key: "1.2.3.4", route: "r", now: start.addingTimeInterval(61))
        #expect(later.exceeded == nil && later.reported?.remaining == 2)
        #expect(MetricsText.value(in: metrics.render(), name: "pds_rate_limit_rejections_total", labels: ["limiter": "test", "route": "r"]) == 1)
    }

    @Test func expiredWindowsAreSwept() {
        let limiter = RateLimiter(settings: .init(), metricsFactory: TelemetryMetrics().factory)
        let policy = RateLimitPolicy(name: "sweep", windowSeconds: 10, points: 1)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let early = RateLimiter.sweepThreshold * 16 * 2
        for index in 0..<early {
            _ = limiter.consume([policy], key: "client-\(index)", route: "r", now: start)
        }
        #expect(limiter.windowCount == early)  // nothing expired yet: all kept
        // Later traffic makes the shards grow past their sweep size: the expired windows go.
        let later = early * 3
        for index in 0..<later {
            _ = limiter.consume([policy], key: "later-\(index)", route: "r", now: start.addingTimeInterval(11))
        }
        #expect(limiter.windowCount <= later + early / 2)
    }

    @Test func pointsAndTheTightestPolicy() {
        let limiter = RateLimiter(settings: .init(), metricsFactory: TelemetryMetrics().factory)
        let decision = limiter.consume([.repoWriteHour, .repoWriteDay], key: "did:plc:x", points: 3, route: "r")
        #expect(decision.reported?.policy == .repoWriteHour)
        #expect(decision.reported?.remaining == 4997)
        #expect(decision.headers()[RateLimiter.policyHeader] == "5000;w=3600")
        let burst = limiter.consume([.repoWriteHour, .repoWriteDay], key: "did:plc:x", points: 4998, route: "r")
        #expect(burst.exceeded?.policy == .repoWriteHour)
    }

    @Test func enforceThrowsWithHeadersAndBypassRules() throws {
        let limiter = RateLimiter(
            settings: .init(bypassKey: "let-me-in", bypassIPs: ["10.0.0.9"]), metricsFactory: TelemetryMetrics().factory)
        let policy = RateLimitPolicy(name: "tiny", windowSeconds: 300, points: 1)
        _ = try limiter.enforce([policy], key: "k", route: "r")
        do {
            try limiter.enforce([policy], key: "k", route: "r")
            Issue.record("expected 429")
        } catch {
            #expect(error.status == .tooManyRequests)
            #expect(error.code == .rateLimitExceeded)
            #expect(error.headers[RateLimiter.limitHeader] == "1")
            #expect(error.headers[.retryAfter] != nil)
        }
        #expect(limiter.isBypassed(bypassHeader: "let-me-in", clientIP: "1.1.1.1"))
        #expect(!limiter.isBypassed(bypassHeader: "let-me-out", clientIP: "1.1.1.1"))
        #expect(limiter.isBypassed(bypassHeader: nil, clientIP: "10.0.0.9"))
        #expect(!limiter.isBypassed(bypassHeader: nil, clientIP: "10.0.0.8"))
        let disabled = RateLimiter(settings: .disabled, metricsFactory: TelemetryMetrics().factory)
        #expect(disabled.isBypassed(bypassHeader: nil, clientIP: "1.1.1.1"))
        #expect(try disabled.enforce([policy], key: "k", route: "r").isEmpty)
        #expect(try disabled.enforce([policy], key: "k", route: "r").isEmpty)
    }

    @Test func clientAddressResolution() {
        typealias Address = RateLimitClientAddress
        #expect(Address.resolve(peer: "203.0.113.5", forwardedFor: ["198.51.100.1"], trustForwardedFor: false) == "203.0.113.5")
        #expect(Address.resolve(peer: nil, forwardedFor: [], trustForwardedFor: false) == "unknown")
        // Trusted only from a proxy address, and the right-most non-proxy entry wins.
        #expect(Address.resolve(peer: "127.0.0.1", forwardedFor: ["198.51.100.1"], trustForwardedFor: true) == "198.51.100.1")
        #expect(
            Address.resolve(peer: "::1", forwardedFor: ["1.1.1.1, 198.51.100.1", "10.0.0.2"], trustForwardedFor: true)
                == "198.51.100.1")
        #expect(Address.resolve(peer: "203.0.113.5", forwardedFor: ["198.51.100.1"], trustForwardedFor: true) == "203.0.113.5")
        #expect(Address.resolve(peer: "127.0.0.1", forwardedFor: ["10.0.0.1, 192.168.1.1"], trustForwardedFor: true) == "10.0.0.1")
        #expect(Address.resolve(peer: "::ffff:127.0.0.1", forwardedFor: [], trustForwardedFor: true) == "127.0.0.1")
        for proxy in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1", "169.254.1.1", "::1", "fd00::1", "fe80::1"] {
            #expect(Address.isProxyAddress(proxy), "\(proxy)")
        }
        for publicAddress in ["8.8.8.8", "172.32.0.1", "2001:db8::1", "unknown", "1.2.3"] {
            #expect(!Address.isProxyAddress(publicAddress), "\(publicAddress)")
        }
    }

    @Test func globalLimitHeadersAnd429OverHTTP() async throws {
        let server = try await Server(rateLimits: .init(bypassKey: "bypass-secret"))
        defer { server.close() }
        try await server.test { client in
            let before = Date().timeIntervalSince1970
            let first = try await client.execute(uri: "/xrpc/com.atproto.server.describeServer", method: .get)
            let after = Date().timeIntervalSince1970
            #expect(first.status == .ok)
            #expect(first.headers[RateLimiter.limitHeader] == "3000")
            #expect(first.headers[RateLimiter.remainingHeader] == "2999")
            #expect(first.headers[RateLimiter.policyHeader] == "3000;w=300")
            let reset = Double(first.headers[RateLimiter.resetHeader] ?? "") ?? 0
            // The window opened while the request was handled (a busy test machine may take seconds to answer).
            #expect(reset >= (before + 300).rounded(.down) && reset <= after + 300, "reset \(reset), request \(before)...\(after)")
            // Errors carry the headers too.
            let unknown = try await client.execute(uri: "/xrpc/com.example.nothing", method: .get)
            #expect(unknown.status == .notImplemented)
            #expect(unknown.headers[RateLimiter.remainingHeader] == "2998")

            // Use up the client's window (in-process requests have no peer address: key "unknown").
            _ = server.services.rateLimiter.consume([.globalIP], key: "unknown", points: 2998, route: "test")
            let refused = try await client.execute(uri: "/xrpc/com.atproto.server.describeServer", method: .get)
            #expect(refused.status == .tooManyRequests)
            #expect(try errorBody(refused) == ["error": "RateLimitExceeded", "message": "Rate Limit Exceeded"])
            #expect(refused.headers[RateLimiter.remainingHeader] == "0")
            #expect(refused.headers[.retryAfter] != nil)
            // Non-XRPC routes and the bypass header are not limited.
            #expect(try await client.execute(uri: "/xrpc/_health", method: .get).status == .ok)
            let bypassed = try await client.execute(
                uri: "/xrpc/com.atproto.server.describeServer", method: .get,
                headers: [HTTPField.Name("x-ratelimit-bypass")!: "bypass-secret"])
            #expect(bypassed.status == .ok)
            #expect(bypassed.headers[RateLimiter.limitHeader] == nil)
            let wrongBypass = try await client.execute(
                uri: "/xrpc/com.atproto.server.describeServer", method: .get,
                headers: [HTTPField.Name("x-ratelimit-bypass")!: "guess"])
            #expect(wrongBypass.status == .tooManyRequests)
            // sync.getRepo has its own limit and skips the global one.
            let getRepo = try await client.execute(uri: "/xrpc/com.atproto.sync.getRepo?did=did:plc:x", method: .get)
            #expect(getRepo.status != .tooManyRequests)
            #expect(getRepo.headers[RateLimiter.limitHeader] == "6000")
        }
        #expect(
            server.sample(
                "pds_rate_limit_rejections_total",
                labels: ["limiter": "global-ip", "route": "com.atproto.server.describeServer"]) == 2)
    }

    @Test func createSessionIsLimitedPerIdentifier() async throws {
        let server = try await Server(rateLimits: .init())
        defer { server.close() }
        // Use up 29 of the 30 attempts per 5 minutes for this identifier and address.
        _ = server.services.rateLimiter.consume(
            [.createSessionShort, .createSessionDay], key: "nobody.pds.example.com-unknown", points: 29, route: "test")
        try await server.test { client in
            let last = try await SessionRoutesTests.login(client, identifier: "nobody.pds.example.com", password: "x")
            #expect(last.status == .unauthorized)
            #expect(last.headers[RateLimiter.limitHeader] == "30")
            #expect(last.headers[RateLimiter.remainingHeader] == "0")
            #expect(last.headers[RateLimiter.policyHeader] == "30;w=300")
            let attempts = server.sample("pds_auth_attempts_total", labels: ["method": "password", "result": "failed"])
            #expect(attempts != nil)
            let refused = try await SessionRoutesTests.login(client, identifier: "nobody.pds.example.com", password: "x")
            #expect(refused.status == .tooManyRequests)
            #expect(try errorBody(refused)["error"] == "RateLimitExceeded")
            // Refused before any password check: no further login attempt was counted (a counter, not a clock,
            // so a loaded machine cannot break it).
            #expect(server.sample("pds_auth_attempts_total", labels: ["method": "password", "result": "failed"]) == attempts)
            // Another identifier from the same address is not affected.
            let other = try await SessionRoutesTests.login(client, identifier: "somebody.pds.example.com", password: "x")
            #expect(other.status == .unauthorized)
        }
        #expect(
            server.sample(
                "pds_rate_limit_rejections_total",
                labels: ["limiter": "create-session-5m", "route": "com.atproto.server.createSession"]) == 1)
    }

    @Test func liveServerKeysByPeerAddress() async throws {
        let server = try await Server(rateLimits: .init())
        defer { server.close() }
        _ = server.services.rateLimiter.consume([.globalIP], key: "unknown", points: 3000, route: "test")
        try await server.test(.live) { client in
            // Over a socket the peer is 127.0.0.1, not "unknown", so this client still has its whole window.
            let response = try await client.execute(uri: "/xrpc/com.atproto.server.describeServer", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[RateLimiter.remainingHeader] == "2999")
        }
    }

    @Test func forwardedForIsTrustedFromALoopbackProxyWhenConfigured() async throws {
        let server = try await Server(rateLimits: .init(trustForwardedFor: true))
        defer { server.close() }
        _ = server.services.rateLimiter.consume([.globalIP], key: "198.51.100.7", points: 3000, route: "test")
        let forwarded: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "198.51.100.7"]
        try await server.test(.live) { client in
            let limited = try await client.execute(
                uri: "/xrpc/com.atproto.server.describeServer", method: .get, headers: forwarded)
            #expect(limited.status == .tooManyRequests)
            let other = try await client.execute(
                uri: "/xrpc/com.atproto.server.describeServer", method: .get,
                headers: [HTTPField.Name("X-Forwarded-For")!: "198.51.100.8"])
            #expect(other.status == .ok)
        }
        // Without the setting the header is ignored: the peer (127.0.0.1) is the client.
        let plain = try await Server(rateLimits: .init())
        defer { plain.close() }
        _ = plain.services.rateLimiter.consume([.globalIP], key: "198.51.100.7", points: 3000, route: "test")
        try await plain.test(.live) { client in
            let response = try await client.execute(
                uri: "/xrpc/com.atproto.server.describeServer", method: .get, headers: forwarded)
            #expect(response.status == .ok)
        }
    }
}
