import Foundation
import Hummingbird
import NIOCore
import Synchronization
import Telemetry
import Testing

@testable import Endpoints

/// TXT records from a dictionary; names listed in `failing` throw as an unreachable resolver would.
final class StubTXTLookup: TXTLookup {
    private let state = Mutex<(records: [String: [String]], failing: Set<String>, queries: Int)>(([:], [], 0))

    func set(_ name: String, _ records: [String]) { state.withLock { $0.records[name] = records } }
    func fail(_ name: String) { state.withLock { _ = $0.failing.insert(name) } }
    var queries: Int { state.withLock { $0.queries } }

    func txtRecords(_ name: String) async throws -> [String] {
        try state.withLock { state in
            state.queries += 1
            if state.failing.contains(name) { throw DNSLookupError(description: "stub failure") }
            return state.records[name] ?? []
        }
    }
}

@Suite("Handle resolution of other servers (DNS TXT, HTTPS well-known)")
struct HandleResolverTests {
    static let alice = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"
    static let bob = "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"

    /// A loopback web server answering `/<handle>/.well-known/atproto-did` from `bodies` (404 otherwise).
    static func withWellKnownServer(
        _ bodies: [String: (HTTPResponse.Status, String)], _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        let router = Router()
        router.get("/:handle/.well-known/atproto-did") { _, context in
            let handle = try context.parameters.require("handle")
            guard let (status, text) = bodies[handle] else { return Response(status: .notFound) }
            return Response(status: status, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            })
        let task = Task { try await app.runService() }
        defer { task.cancel() }
        var port = 0
        for await bound in ports { port = bound }
        try await body(port)
    }

    static func resolver(port: Int, txt: StubTXTLookup, metrics: TelemetryMetrics) -> HandleResolver {
        HandleResolver(
            settings: .init(wellKnownURL: { "http://127.0.0.1:\(port)/\($0)/.well-known/atproto-did" }), txt: txt,
            metricsFactory: metrics.factory)
    }

    @Test("DNS TXT wins; HTTPS answers when DNS has none; several did= records or junk are no answer")
    func resolution() async throws {
        let bodies: [String: (HTTPResponse.Status, String)] = [
            "dns.example.org": (.ok, Self.bob),
            "web.example.org": (.ok, "\(Self.bob)\nsecond line ignored\n"),
            "junk.example.org": (.ok, "<html>not a did</html>"),
            "broken.example.org": (.internalServerError, "oops"),
        ]
        try await Self.withWellKnownServer(bodies) { port in
            let txt = StubTXTLookup()
            txt.set("_atproto.dns.example.org", ["v=spf1 -all", "did=\(Self.alice)"])
            txt.set("_atproto.two.example.org", ["did=\(Self.alice)", "did=\(Self.bob)"])
            txt.set("_atproto.bad.example.org", ["did=not-a-did"])
            let metrics = TelemetryMetrics()
            let resolver = Self.resolver(port: port, txt: txt, metrics: metrics)
            #expect(await resolver.resolve("dns.example.org") == Self.alice)
            #expect(await resolver.resolve("web.example.org") == Self.bob)
            #expect(await resolver.resolve("two.example.org") == nil)
            #expect(await resolver.resolve("bad.example.org") == nil)
            #expect(await resolver.resolve("junk.example.org") == nil)
            #expect(await resolver.resolve("broken.example.org") == nil)
            let text = metrics.render()
            #expect(text.contains(#"pds_identity_resolve_duration_seconds_count{method="dns_txt",result="ok"} 1"#))
            #expect(text.contains(#"pds_identity_resolve_duration_seconds_count{method="https_wellknown",result="ok"}"#))
            #expect(text.contains(#"pds_identity_resolve_duration_seconds_count{method="https_wellknown",result="error"} 1"#))
        }
    }

    @Test("answers are cached, failed lookups are not")
    func caching() async throws {
        try await Self.withWellKnownServer([:]) { port in
            let txt = StubTXTLookup()
            txt.set("_atproto.cached.example.org", ["did=\(Self.alice)"])
            txt.fail("_atproto.down.example.org")
            let resolver = Self.resolver(port: port, txt: txt, metrics: TelemetryMetrics())
            #expect(await resolver.resolve("cached.example.org") == Self.alice)
            #expect(await resolver.resolve("cached.example.org") == Self.alice)
            #expect(await resolver.resolve("none.example.org") == nil)
            #expect(await resolver.resolve("none.example.org") == nil)
            #expect(txt.queries == 2)
            #expect(await resolver.resolve("down.example.org") == nil)
            #expect(await resolver.resolve("down.example.org") == nil)
            #expect(txt.queries == 4)
        }
    }

    @Test("resolveHandle resolves another server's handle, never a missing one under a service domain")
    func resolveHandleRoute() async throws {
        try await AccountsHarness.with { harness in
            harness.foreignTXT.set("_atproto.someone.example.org", ["did=\(Self.alice)"])
            harness.foreignTXT.set("_atproto.nobody.pds.example.com", ["did=\(Self.bob)"])
            try await harness.test { client in
                let foreign = try await client.execute(
                    uri: "/xrpc/com.atproto.identity.resolveHandle?handle=Someone.Example.org", method: .get)
                #expect(foreign.status == .ok)
                #expect(AccountsHarness.object(foreign)["did"] as? String == Self.alice)
                let local = try await client.execute(
                    uri: "/xrpc/com.atproto.identity.resolveHandle?handle=nobody.pds.example.com", method: .get)
                #expect(AccountsHarness.object(local)["error"] as? String == "HandleNotFound")
            }
        }
    }

    @Test("DNS answers: TXT strings concatenated, compressed names followed, truncation refused")
    func dnsMessageParsing() throws {
        // Header: id, flags, 1 question, 2 answers.
        var message: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]
        let name: [UInt8] = [8] + Array("_atproto".utf8) + [7] + Array("example".utf8) + [3] + Array("org".utf8) + [0]
        message += name + [0, 16, 0, 1]
        // Answer 1: pointer to the question name, TXT in two character-strings.
        let part1 = Array("did=did:plc:aaaa".utf8), part2 = Array("aaaaaaaaaaaaaaaaaaaa".utf8)
        let rdata1: [UInt8] = [UInt8(part1.count)] + part1 + [UInt8(part2.count)] + part2
        message += [0xC0, 12, 0, 16, 0, 1, 0, 0, 1, 0x2C, 0, UInt8(rdata1.count)] + rdata1
        // Answer 2: a CNAME-like record of another type, skipped.
        message += [0xC0, 12, 0, 5, 0, 1, 0, 0, 1, 0x2C, 0, 2, 0xC0, 12]
        #expect(try DNSMessage.txtRecords(in: message[...]) == ["did=\(Self.alice)"])
        #expect(throws: DNSLookupError.self) { try DNSMessage.txtRecords(in: message.dropLast(3)) }
        #expect(throws: DNSLookupError.self) { try DNSMessage.txtRecords(in: message.prefix(8)) }
    }
}
