import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Telemetry
import Testing

@testable import Endpoints

struct CheckFailure: Error, CustomStringConvertible {
    var description: String { "disk on fire at /secret/path" }
}

/// A readiness check that fails while `failing` is set.
final class Switch: Sendable {
    private let state = Mutex(false)
    var failing: Bool {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}

@Suite struct HealthRoutesTests {
    func makeServer(_ disk: Switch) -> TestServer {
        TestServer { health in
            health.register(name: "ping", kinds: [.liveness, .readiness]) {}
            health.register(name: "disk", kinds: [.readiness]) {
                if disk.failing { throw CheckFailure() }
            }
        }
    }

    @Test func healthyEndpoints() async throws {
        let server = makeServer(Switch())
        try await server.test { client in
            for path in ["/livez", "/readyz", "/livez/ping", "/readyz/disk"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path)")
                #expect(String(buffer: response.body) == "ok\n", "\(path)")
            }
            let verbose = try await client.execute(uri: "/readyz?verbose", method: .get)
            #expect(String(buffer: verbose.body) == "[+]ping ok\n[+]disk ok\nreadyz check passed\n")
            let health = try await client.execute(uri: "/xrpc/_health", method: .get)
            #expect(health.status == .ok)
            #expect(String(buffer: health.body) == #"{"version":"1.2.3"}"#)
            #expect(health.headers[.contentType] == "application/json; charset=utf-8")
        }
    }

    @Test func failingReadiness() async throws {
        let disk = Switch()
        disk.failing = true
        let server = makeServer(disk)
        try await server.test { client in
            let live = try await client.execute(uri: "/livez", method: .get)
            #expect(live.status == .ok)

            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable)
            #expect(String(buffer: ready.body) == "[+]ping ok\n[-]disk failed\nreadyz check failed\n")

            let verbose = try await client.execute(uri: "/readyz?verbose", method: .get)
            #expect(verbose.status == .serviceUnavailable)
            #expect(!String(buffer: verbose.body).contains("fire"))

            let one = try await client.execute(uri: "/readyz/disk", method: .get)
            #expect(one.status == .serviceUnavailable)
            let other = try await client.execute(uri: "/readyz/ping", method: .get)
            #expect(other.status == .ok)

            let health = try await client.execute(uri: "/xrpc/_health", method: .get)
            #expect(health.status == .serviceUnavailable)
            let body = try json(health)
            #expect(body["version"] as? String == "1.2.3")
            #expect(body["error"] as? String == "ServiceUnavailable")
            #expect(body["message"] is String)

            disk.failing = false
            let recovered = try await client.execute(uri: "/xrpc/_health", method: .get)
            #expect(recovered.status == .ok)
        }
        // The reason is logged, never sent.
        let reasons = server.logs.entries.compactMap { $0.metadata["reason"] }
        #expect(reasons.contains { $0.contains("disk on fire") })
    }

    @Test func unknownCheckIs404() async throws {
        let server = makeServer(Switch())
        try await server.test { client in
            let response = try await client.execute(uri: "/readyz/nope", method: .get)
            #expect(response.status == .notFound)
            let livezDisk = try await client.execute(uri: "/livez/disk", method: .get)
            #expect(livezDisk.status == .notFound)
        }
    }

    @Test func healthResultIsCachedForTTL() async throws {
        let disk = Switch()
        var settings = TestServer.defaultSettings()
        settings.healthCacheTTL = .seconds(60)
        let server = TestServer(settings: settings) { health in
            health.register(name: "disk", kinds: [.readiness]) {
                if disk.failing { throw CheckFailure() }
            }
        }
        try await server.test { client in
            let first = try await client.execute(uri: "/xrpc/_health", method: .get)
            #expect(first.status == .ok)
            disk.failing = true
            let cached = try await client.execute(uri: "/xrpc/_health", method: .get)
            #expect(cached.status == .ok)
            // /readyz never uses the cache.
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable)
        }
    }
}
