import ATProto
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

@Suite("com.atproto.server.getServiceAuth")
struct GetServiceAuthTests {
    typealias Server = TestServerWithServices

    static func get(_ client: any TestClientProtocol, token: String?, _ query: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/xrpc/com.atproto.server.getServiceAuth?\(query)", method: .get,
            headers: token.map { Server.bearer($0) } ?? [:])
    }

    static func error(_ response: TestResponse) -> String? { Server.object(response)["error"] as? String }

    static func decode(_ part: Substring) throws -> [String: Any] {
        let bytes = try #require(Base64URL.decode(part))
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test("mints an ES256K token from the caller's DID, signed with its repo key; did#service audiences too")
    func mintsToken() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let tokens = try await server.issueSession(did: alice.did)
        let key = try #require(try await server.services.accounts.signingKey(did: alice.did))
        let aud = server.settings.serviceDID
        try await server.test { client in
            let before = Int64(Date().timeIntervalSince1970)
            let response = try await Self.get(
                client, token: tokens.accessJwt, "aud=\(aud)&lxm=com.atproto.server.createAccount")
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "private")
            let token = try #require(Server.object(response)["token"] as? String)
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            #expect(parts.count == 3)
            let header = try Self.decode(parts[0])
            #expect(header["typ"] as? String == "JWT")
            #expect(header["alg"] as? String == "ES256K")
            let payload = try Self.decode(parts[1])
            #expect(payload["iss"] as? String == alice.did)
            #expect(payload["aud"] as? String == aud)
            #expect(payload["lxm"] as? String == "com.atproto.server.createAccount")
            let iat = try #require(payload["iat"] as? Int)
            let exp = try #require(payload["exp"] as? Int)
            #expect(Int64(iat) >= before && exp == iat + 60)
            let jti = try #require(payload["jti"] as? String)
            #expect(jti.count == 32 && jti.allSatisfy(\.isHexDigit))
            let signature = try #require(Base64URL.decode(parts[2]))
            #expect(key.publicKey.verify(signature: signature, message: Array((parts[0] + "." + parts[1]).utf8)))

            // A did#service audience, a chosen expiry, no lxm (then at most a minute ahead).
            let exp2 = Int64(Date().timeIntervalSince1970) + 30
            let service = try await Self.get(
                client, token: tokens.accessJwt, "aud=did:web:api.bsky.app%23bsky_appview&exp=\(exp2)")
            #expect(service.status == .ok)
            let servicePayload = try Self.decode(
                try #require(Server.object(service)["token"] as? String).split(separator: ".")[1])
            #expect(servicePayload["aud"] as? String == "did:web:api.bsky.app#bsky_appview")
            #expect(servicePayload["exp"] as? Int == Int(exp2))
            #expect(servicePayload["lxm"] == nil)
        }
    }

    @Test("aud, exp and lxm rules: BadExpiration, protected and privileged methods")
    func requestRules() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let access = try await server.issueSession(did: alice.did).accessJwt
        let aud = server.settings.serviceDID
        try await server.test { client in
            for bad in ["not-a-did", "did:foo:bar", "\(aud)%23", "did:web:example.com:path", "did:plc:short"] {
                let response = try await Self.get(client, token: access, "aud=\(bad)")
                #expect(response.status == .badRequest, "\(bad)")
                #expect(
                    Server.object(response)["message"] as? String
                        == "aud must be a valid atproto DID or did#serviceId reference")
            }
            let missing = try await Self.get(client, token: access, "lxm=com.atproto.server.createAccount")
            #expect(missing.status == .badRequest)
            let badLxm = try await Self.get(client, token: access, "aud=\(aud)&lxm=not%20an%20nsid")
            #expect(Self.error(badLxm) == "InvalidRequest")

            let now = Int64(Date().timeIntervalSince1970)
            for (query, message) in [
                ("exp=\(now - 10)&lxm=app.bsky.feed.getTimeline", "expiration is in past"),
                ("exp=\(now + 3700)&lxm=app.bsky.feed.getTimeline",
                 "cannot request a token with an expiration more than an hour in the future"),
                ("exp=\(now + 300)", "cannot request a method-less token with an expiration more than a minute in the future"),
            ] {
                let response = try await Self.get(client, token: access, "aud=\(aud)&\(query)")
                #expect(response.status == .badRequest)
                #expect(Self.error(response) == "BadExpiration")
                #expect(Server.object(response)["message"] as? String == message)
            }
            let longWithMethod = try await Self.get(
                client, token: access, "aud=\(aud)&exp=\(now + 1800)&lxm=app.bsky.feed.getTimeline")
            #expect(longWithMethod.status == .ok)

            for protected in ["com.atproto.server.createAppPassword", "com.atproto.identity.signPlcOperation", "com.atproto.server.getsession"] {
                let response = try await Self.get(client, token: access, "aud=\(aud)&lxm=\(protected)")
                #expect(response.status == .badRequest)
                #expect(
                    Server.object(response)["message"] as? String
                        == "cannot request a service auth token for the following protected method: \(protected)")
            }
        }
    }

    @Test("app passwords: privileged methods need a privileged one; taken-down sessions may only migrate")
    func scopes() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let aud = server.settings.serviceDID
        let appPass = try await server.issueSession(did: alice.did, scope: .appPass).accessJwt
        let privileged = try await server.issueSession(did: alice.did, scope: .appPassPrivileged).accessJwt
        try await server.test { client in
            for lxm in ["com.atproto.server.createAccount", "com.atproto.server.createaccount", "chat.bsky.convo.listConvos"] {
                let refused = try await Self.get(client, token: appPass, "aud=\(aud)&lxm=\(lxm)")
                #expect(refused.status == .badRequest)
                #expect(
                    Server.object(refused)["message"] as? String
                        == "insufficient access to request a service auth token for the following method: \(lxm)")
                let allowed = try await Self.get(client, token: privileged, "aud=\(aud)&lxm=\(lxm)")
                #expect(allowed.status == .ok)
            }
            let ordinary = try await Self.get(client, token: appPass, "aud=\(aud)&lxm=app.bsky.feed.getTimeline")
            #expect(ordinary.status == .ok)

            let noAuth = try await Self.get(client, token: nil, "aud=\(aud)")
            #expect(noAuth.status == .unauthorized)
            #expect(Self.error(noAuth) == "AuthMissing")
        }

        try await server.setTakedown(did: alice.did, true)
        let takendown = try await server.issueSession(did: alice.did, scope: .takendown).accessJwt
        let full = try await server.issueSession(did: alice.did).accessJwt
        try await server.test { client in
            let migrate = try await Self.get(client, token: takendown, "aud=\(aud)&lxm=com.atproto.server.createAccount")
            #expect(migrate.status == .ok)
            for query in ["aud=\(aud)&lxm=app.bsky.feed.getTimeline", "aud=\(aud)"] {
                let refused = try await Self.get(client, token: takendown, query)
                #expect(refused.status == .badRequest)
                #expect(Self.error(refused) == "InvalidToken")
                #expect(Server.object(refused)["message"] as? String == "Bad token scope")
            }
            // An access token issued before the takedown is held to the same rule.
            let fullTakendown = try await Self.get(client, token: full, "aud=\(aud)")
            #expect(Self.error(fullTakendown) == "InvalidToken")
            let fullMigrate = try await Self.get(client, token: full, "aud=\(aud)&lxm=com.atproto.server.createAccount")
            #expect(fullMigrate.status == .ok)
        }

        // A deactivated account may still get tokens (migration runs while the old account is deactivated).
        try await server.setTakedown(did: alice.did, false)
        try await server.setDeactivated(did: alice.did, true)
        try await server.test { client in
            let response = try await Self.get(client, token: full, "aud=\(aud)&lxm=com.atproto.server.createAccount")
            #expect(response.status == .ok)
        }
    }
}
