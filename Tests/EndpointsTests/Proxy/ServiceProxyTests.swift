import ATProto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PDSTestSupport
import Synchronization
import Testing

@testable import Endpoints

/// XRPC methods without a local handler go to the AppView or the `atproto-proxy` header's service, with a service
/// token signed by the caller's repo key (PDS-REFERENCE §1.5), over real loopback HTTP.
@Suite struct ServiceProxyTests {
    /// An AppView (and chat service) stand-in: records what it receives and answers per method.
    final class Upstream: Sendable {
        struct Received: Sendable {
            var path: String
            var query: String?
            var method: String
            var headers: [String: String]
            var body: [UInt8]
        }

        static let did = "did:web:upstream.test"
        private let received = Mutex<[Received]>([])
        private let server = Mutex<LoopbackServer?>(nil)
        var url: String { "http://127.0.0.1:\(server.withLock { $0 }?.port ?? 0)" }
        var requests: [Received] { received.withLock { $0 } }

        static func start() async throws -> Upstream {
            let upstream = Upstream()
            let router = Router()
            router.get("/.well-known/did.json") { _, _ in
                let document = """
                    {"id": "\(Self.did)", "alsoKnownAs": [], "verificationMethod": [], "service": [{"id": "#bsky_chat", "type": "BskyChatService", "serviceEndpoint": "\(upstream.url)"}]}
                    """
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: document)))
            }
            for method in [HTTPRequest.Method.get, .post] {
                router.on("/xrpc/{nsid}", method: method) { request, context in
                    try await upstream.answer(request, nsid: context.parameters.get("nsid") ?? "")
                }
            }
            let server = try await LoopbackServer.start(router: router, label: "test-upstream")
            upstream.server.withLock { $0 = server }
            return upstream
        }

        func stop() async { await server.withLock { $0 }?.stop() }

        private func answer(_ request: Request, nsid: String) async throws -> Response {
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            received.withLock {
                $0.append(Received(path: request.uri.path, query: request.uri.query, method: request.method.rawValue, headers: headers, body: Array(body.readableBytesView)))
            }
            func json(_ status: HTTPResponse.Status, _ text: String, _ extra: HTTPFields = [:]) -> Response {
                var fields = extra
                fields[.contentType] = "application/json; charset=utf-8"
                return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
            }
            switch nsid {
            case "app.bsky.actor.getProfile":
                return json(.ok, #"{"handle":"from-upstream"}"#, [HTTPField.Name("atproto-repo-rev")!: "3kabc", HTTPField.Name("x-upstream-secret")!: "1", .setCookie: "a=b"])
            case "app.bsky.graph.muteActor":
                return json(.ok, String(decoding: body.readableBytesView, as: UTF8.self))
            case "app.bsky.feed.getTimeline":
                return json(.badRequest, #"{"error":"BadCursor","message":"cursor from another feed"}"#)
            case "app.bsky.feed.getFeedGenerator":
                return json(.ok, #"{"view":{"did":"did:web:feedgen.test","uri":"at://did:plc:x/app.bsky.feed.generator/hot"},"isOnline":true,"isValid":true}"#)
            case "app.bsky.feed.getPostThread":
                return json(.internalServerError, #"{"error":"InternalServerError","message":"feed generator fell over"}"#)
            case "app.bsky.feed.searchPosts":
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: "a"), count: 4096)))
            default:
                return json(.ok, #"{"served":"\#(nsid)"}"#)
            }
        }
    }

    static func server(appView: String?, allowInsecure: Bool = false, upstream: Upstream? = nil) async throws -> TestServerWithServices {
        var settings = TestServerWithServices.defaultSettings()
        settings.proxy = ProxySettings(
            appView: appView.map { ProxySettings.Service(url: $0, did: "did:web:appview.test") },
            maxResponseBytes: 1024, allowInsecureResolvedEndpoints: allowInsecure)
        let upstreamURL = upstream?.url
        return try await TestServerWithServices(
            settings: settings, didWebURL: { host in host == "upstream.test" ? "\(upstreamURL ?? "")/.well-known/did.json" : "http://127.0.0.1:1/" })
    }

    static func error(_ response: TestResponse) -> (String?, String?) {
        let object = TestServerWithServices.object(response)
        return (object["error"] as? String, object["message"] as? String)
    }

    @Test func forwardsToTheAppViewWithAServiceTokenAndPassesTheAnswerOn() async throws {
        let upstream = try await Upstream.start()
        let server = try await Self.server(appView: upstream.url)
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let tokens = try await server.issueSession(did: alice.did)
        try await server.test(.live) { client in
            var headers = TestServerWithServices.bearer(tokens.accessJwt)
            headers[.acceptLanguage] = "de"
            headers[HTTPField.Name("atproto-accept-labelers")!] = "did:plc:ar7c4by46qjdydhdevvrndac;redact"
            headers[.cookie] = "session=private"
            let profile = try await client.execute(uri: "/xrpc/app.bsky.actor.getProfile?actor=bob.test&x=%20y", method: .get, headers: headers)
            #expect(profile.status == .ok)
            #expect(String(buffer: profile.body) == #"{"handle":"from-upstream"}"#)
            #expect(profile.headers[HTTPField.Name("atproto-repo-rev")!] == "3kabc")
            #expect(profile.headers[HTTPField.Name("x-upstream-secret")!] == nil)
            #expect(profile.headers[.setCookie] == nil)

            let mute = try await client.execute(
                uri: "/xrpc/app.bsky.graph.muteActor", method: .post, headers: TestServerWithServices.json(TestServerWithServices.bearer(tokens.accessJwt)),
                body: ByteBuffer(string: #"{"actor":"did:plc:bob"}"#))
            #expect(mute.status == .ok)
            #expect(String(buffer: mute.body) == #"{"actor":"did:plc:bob"}"#)
        }

        let requests = upstream.requests
        try #require(requests.count == 2)
        let get = requests[0]
        #expect(get.path == "/xrpc/app.bsky.actor.getProfile" && get.query == "actor=bob.test&x=%20y" && get.method == "GET")
        #expect(get.headers["accept-language"] == "de")
        #expect(get.headers["atproto-accept-labelers"] == "did:plc:ar7c4by46qjdydhdevvrndac;redact")
        #expect(get.headers["cookie"] == nil)
        let post = requests[1]
        #expect(post.method == "POST" && post.headers["content-type"] == "application/json" && post.body == Array(#"{"actor":"did:plc:bob"}"#.utf8))

        // The service token: the caller's DID, the AppView's DID, the method, a minute, signed with the repo key.
        for (request, nsid) in [(get, "app.bsky.actor.getProfile"), (post, "app.bsky.graph.muteActor")] {
            let authorization = try #require(request.headers["authorization"])
            #expect(authorization != "Bearer \(tokens.accessJwt)")
            let parsed = try ServiceJWT.parse(String(authorization.dropFirst("Bearer ".count)))
            #expect(parsed.claims.iss == alice.did && parsed.claims.aud == "did:web:appview.test" && parsed.claims.lxm == nsid)
            #expect(parsed.claims.exp - (parsed.claims.iat ?? 0) == 60)
            let key = try #require(try await server.services.accounts.signingKey(did: alice.did))
            #expect(key.publicKey.verify(signature: parsed.signature ?? [], message: parsed.signingInput))
        }
        #expect(server.sample("pds_proxy_requests_total", labels: ["service": "appview", "result": "ok"]) == 2)
        #expect(server.sample("pds_http_requests_total", labels: ["route": "proxied", "code": "200", "method": "GET"]) == 1)
        await upstream.stop()
    }

    @Test func upstreamErrorsComeBackAsTheReferenceAnswersThem() async throws {
        let upstream = try await Upstream.start()
        let server = try await Self.server(appView: upstream.url)
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let auth = TestServerWithServices.bearer(try await server.issueSession(did: alice.did).accessJwt)
        try await server.test(.live) { client in
            let timeline = try await client.execute(uri: "/xrpc/app.bsky.feed.getTimeline", method: .get, headers: auth)
            #expect(timeline.status == .badRequest)
            #expect(Self.error(timeline) == ("BadCursor", "cursor from another feed"))
            let feed = try await client.execute(uri: "/xrpc/app.bsky.feed.getPostThread?uri=x", method: .get, headers: auth)
            #expect(feed.status == .badGateway)
            #expect(Self.error(feed) == ("UpstreamFailure", "feed generator fell over"))
            // Over maxResponseBytes (1 KiB here): not passed on.
            let large = try await client.execute(uri: "/xrpc/app.bsky.feed.searchPosts", method: .get, headers: auth)
            #expect(large.status == .badGateway)
            #expect(Self.error(large).0 == "UpstreamFailure")
        }
        #expect(server.sample("pds_proxy_requests_total", labels: ["service": "appview", "result": "client_error"]) == 1)
        #expect(server.sample("pds_proxy_requests_total", labels: ["service": "appview", "result": "upstream_error"]) == 2)
        await upstream.stop()

        // Nothing listens there: 502, logged and counted.
        let unreachable = try await Self.server(appView: "http://127.0.0.1:1")
        defer { unreachable.close() }
        let bob = try await unreachable.createAccount(handle: "bob.pds.example.com")
        let bobAuth = TestServerWithServices.bearer(try await unreachable.issueSession(did: bob.did).accessJwt)
        try await unreachable.test { client in
            let response = try await client.execute(uri: "/xrpc/app.bsky.actor.getProfile?actor=x", method: .get, headers: bobAuth)
            #expect(response.status == .badGateway)
            #expect(Self.error(response) == ("UpstreamFailure", "Upstream service unreachable"))
        }
        #expect(unreachable.sample("pds_proxy_requests_total", labels: ["service": "appview", "result": "unreachable"]) == 1)
        #expect(unreachable.logs.entries.contains { $0.message == "proxied call failed" && $0.metadata["event"] == "proxy_failed" })
    }

    @Test func getFeedCarriesATokenForTheFeedGenerator() async throws {
        let upstream = try await Upstream.start()
        let server = try await Self.server(appView: upstream.url)
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let auth = TestServerWithServices.bearer(try await server.issueSession(did: alice.did).accessJwt)
        try await server.test(.live) { client in
            let feed = try await client.execute(
                uri: "/xrpc/app.bsky.feed.getFeed?feed=at%3A%2F%2Fdid%3Aplc%3Ax%2Fapp.bsky.feed.generator%2Fhot&limit=30", method: .get, headers: auth)
            #expect(feed.status == .ok)
            #expect(String(buffer: feed.body) == #"{"served":"app.bsky.feed.getFeed"}"#)
            let missing = try await client.execute(uri: "/xrpc/app.bsky.feed.getFeed", method: .get, headers: auth)
            #expect(missing.status == .badRequest)
        }
        let requests = upstream.requests
        try #require(requests.count == 2)
        #expect(requests[0].path == "/xrpc/app.bsky.feed.getFeedGenerator")
        #expect(requests[0].query == "feed=at://did:plc:x/app.bsky.feed.generator/hot")
        let lookupToken = try ServiceJWT.parse(String(try #require(requests[0].headers["authorization"]).dropFirst("Bearer ".count)))
        #expect(lookupToken.claims.aud == "did:web:appview.test" && lookupToken.claims.lxm == "app.bsky.feed.getFeedGenerator")
        #expect(requests[1].path == "/xrpc/app.bsky.feed.getFeed")
        #expect(requests[1].query == "feed=at%3A%2F%2Fdid%3Aplc%3Ax%2Fapp.bsky.feed.generator%2Fhot&limit=30")
        let feedToken = try ServiceJWT.parse(String(try #require(requests[1].headers["authorization"]).dropFirst("Bearer ".count)))
        #expect(feedToken.claims.iss == alice.did && feedToken.claims.aud == "did:web:feedgen.test")
        #expect(feedToken.claims.lxm == "app.bsky.feed.getFeedSkeleton")
        await upstream.stop()
    }

    @Test func callersTheReferenceRefusesAreRefusedBeforeAnythingIsSent() async throws {
        let upstream = try await Upstream.start()
        let server = try await Self.server(appView: upstream.url)
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let appPassword = try await server.issueSession(did: alice.did, scope: .appPass, appPasswordName: "phone")
        try await server.test { client in
            let anonymous = try await client.execute(uri: "/xrpc/app.bsky.actor.getProfile?actor=x", method: .get)
            #expect(anonymous.status == .unauthorized)
            #expect(Self.error(anonymous).0 == "AuthMissing")
            // Account management is never proxied (the reference's protected methods); admin.sendEmail is not served.
            let protected = try await client.execute(
                uri: "/xrpc/com.atproto.admin.sendEmail", method: .post,
                headers: TestServerWithServices.json(TestServerWithServices.bearer(appPassword.accessJwt)), body: ByteBuffer(string: "{}"))
            #expect(protected.status == .notImplemented)
            #expect(Self.error(protected).0 == "MethodNotImplemented")
            // Chat needs a full session or a privileged app password.
            let chat = try await client.execute(
                uri: "/xrpc/chat.bsky.convo.listConvos", method: .get, headers: TestServerWithServices.bearer(appPassword.accessJwt))
            #expect(chat.status == .badRequest)
            #expect(Self.error(chat) == ("InvalidToken", "Bad token method"))
            let put = try await client.execute(
                uri: "/xrpc/app.bsky.actor.getProfile", method: .put, headers: TestServerWithServices.bearer(appPassword.accessJwt))
            #expect(put.status == .badRequest)
            // An app password may call the AppView, also while the account is deactivated; not once it is taken down.
            let profile = try await client.execute(
                uri: "/xrpc/app.bsky.actor.getProfile?actor=x", method: .get, headers: TestServerWithServices.bearer(appPassword.accessJwt))
            #expect(profile.status == .ok)
            try await server.setDeactivated(did: alice.did, true)
            let deactivated = try await client.execute(
                uri: "/xrpc/app.bsky.actor.getProfile?actor=x", method: .get, headers: TestServerWithServices.bearer(appPassword.accessJwt))
            #expect(deactivated.status == .ok)
            try await server.setTakedown(did: alice.did, true)
            let takendown = try await client.execute(
                uri: "/xrpc/app.bsky.actor.getProfile?actor=x", method: .get, headers: TestServerWithServices.bearer(appPassword.accessJwt))
            #expect(takendown.status == .unauthorized)
            #expect(Self.error(takendown).0 == "AccountTakedown")
        }
        #expect(upstream.requests.map(\.path) == ["/xrpc/app.bsky.actor.getProfile", "/xrpc/app.bsky.actor.getProfile"])
        await upstream.stop()
    }

    @Test func theAtprotoProxyHeaderPicksAServiceFromItsDIDDocument() async throws {
        let upstream = try await Upstream.start()
        // No AppView: without the header an unknown method stays 501.
        let server = try await Self.server(appView: nil, allowInsecure: true, upstream: upstream)
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let auth = TestServerWithServices.bearer(try await server.issueSession(did: alice.did).accessJwt)
        @Sendable func headers(_ proxy: String) -> HTTPFields {
            var fields = auth
            fields[HTTPField.Name("atproto-proxy")!] = proxy
            return fields
        }
        try await server.test(.live) { client in
            let unknown = try await client.execute(uri: "/xrpc/chat.bsky.convo.listConvos", method: .get, headers: auth)
            #expect(unknown.status == .notImplemented)
            let chat = try await client.execute(uri: "/xrpc/chat.bsky.convo.listConvos?limit=5", method: .get, headers: headers("\(Upstream.did)#bsky_chat"))
            #expect(chat.status == .ok)
            #expect(String(buffer: chat.body) == #"{"served":"chat.bsky.convo.listConvos"}"#)
            for (value, message) in [
                ("#bsky_chat", "no did specified in proxy header"), (Upstream.did, "no service id specified in proxy header"),
                ("\(Upstream.did)#", "no service id specified in proxy header"), ("\(Upstream.did)#a#b", "invalid proxy header format"),
                ("\(Upstream.did)#bsky chat", "proxy header cannot contain spaces"),
                ("\(Upstream.did)#bsky_notif", "could not resolve proxy did service url"),
                ("did:web:nowhere.test#bsky_chat", "could not resolve proxy did"),
            ] {
                let refused = try await client.execute(uri: "/xrpc/chat.bsky.convo.listConvos", method: .get, headers: headers(value))
                #expect(refused.status == .badRequest, "\(value)")
                #expect(Self.error(refused) == ("InvalidRequest", message), "\(value)")
            }
        }
        let token = try ServiceJWT.parse(String(try #require(upstream.requests.first?.headers["authorization"]).dropFirst("Bearer ".count)))
        #expect(token.claims.aud == "\(Upstream.did)#bsky_chat" && token.claims.lxm == "chat.bsky.convo.listConvos")
        #expect(server.sample("pds_proxy_requests_total", labels: ["service": "bsky_chat", "result": "ok"]) == 1)
        #expect(server.sample("pds_proxy_requests_total", labels: ["service": "unresolved", "result": "refused"]) == 7)

        // In production an endpoint from a DID document must be https on a public address.
        let strict = try await Self.server(appView: nil, allowInsecure: false, upstream: upstream)
        defer { strict.close() }
        let bob = try await strict.createAccount(handle: "bob.pds.example.com")
        var proxied = TestServerWithServices.bearer(try await strict.issueSession(did: bob.did).accessJwt)
        proxied[HTTPField.Name("atproto-proxy")!] = "\(Upstream.did)#bsky_chat"
        let bobHeaders = proxied
        try await strict.test { client in
            let refused = try await client.execute(uri: "/xrpc/chat.bsky.convo.listConvos", method: .get, headers: bobHeaders)
            #expect(Self.error(refused) == ("InvalidRequest", "proxy service url must be https on a public address"))
        }
        #expect(upstream.requests.count == 1)
        await upstream.stop()
    }

    @Test func localAddressesAreRecognised() {
        for host in ["localhost", "LOCALHOST", "a.localhost", "127.0.0.1", "10.1.2.3", "192.168.0.1", "[::1]", "0.0.0.0", "169.254.169.254", "[fd00::1]"] {
            #expect(ServiceProxy.isLocalHost(host), "\(host)")
        }
        for host in ["api.bsky.app", "8.8.8.8", "[2001:db8::1]", "localhost.example.com"] {
            #expect(!ServiceProxy.isLocalHost(host), "\(host)")
        }
    }
}
