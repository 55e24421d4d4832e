import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

@Suite struct SessionRoutesTests {
    typealias Server = TestServerWithServices
    static let handle = "alice.pds.example.com"
    static let password = "correct horse battery"

    /// The claims of a JWT (no verification).
    static func claims(_ token: String) -> [String: Any] {
        let parts = token.split(separator: ".")
        guard parts.count == 3, let bytes = Base64URL.decode(parts[1]) else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }

    static func login(_ client: some TestClientProtocol, identifier: String, password: String, extra: [String: Any] = [:]) async throws
        -> TestResponse
    {
        var body: [String: Any] = ["identifier": identifier, "password": password]
        body.merge(extra) { $1 }
        return try await client.execute(
            uri: "/xrpc/com.atproto.server.createSession", method: .post, headers: Server.json(), body: Server.body(body))
    }

    // MARK: createSession

    @Test func createSessionWithHandleEmailAndDID() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: Self.handle, password: Self.password, email: "Alice@Example.com")
        try await server.test { client in
            for identifier in [Self.handle, "ALICE.pds.example.com", "alice@example.com", "Alice@EXAMPLE.com", alice.did] {
                let response = try await Self.login(client, identifier: identifier, password: Self.password)
                #expect(response.status == .ok, "\(identifier)")
                let body = try json(response)
                #expect(body["did"] as? String == alice.did)
                #expect(body["handle"] as? String == Self.handle)
                #expect(body["email"] as? String == "alice@example.com")
                #expect(body["emailConfirmed"] as? Bool == false)
                #expect(body["active"] as? Bool == true)
                #expect(body["status"] == nil)
                let access = try #require(body["accessJwt"] as? String)
                let refresh = try #require(body["refreshJwt"] as? String)
                #expect(Self.claims(access)["scope"] as? String == "com.atproto.access")
                #expect(Self.claims(access)["sub"] as? String == alice.did)
                #expect(Self.claims(access)["aud"] as? String == "did:web:pds.example.com")
                #expect(Self.claims(refresh)["scope"] as? String == "com.atproto.refresh")
                let jti = try #require(Self.claims(refresh)["jti"] as? String)
                #expect(try await server.services.accounts.refreshToken(id: jti)?.did == alice.did)
            }
        }
        #expect(server.sample("pds_auth_attempts_total", labels: ["method": "password", "result": "ok"]) == 5)
    }

    @Test func wrongPasswordAndUnknownUserLookAlikeAndTakeTheFloor() async throws {
        let server = try await Server()
        defer { server.close() }
        try await server.createAccount(handle: Self.handle, password: Self.password)
        try await server.test { client in
            for (identifier, password) in [
                (Self.handle, "wrong"), ("nobody.pds.example.com", Self.password), ("nobody@example.com", "x"),
                ("not an identifier!", "x"), (Self.handle, String(repeating: "p", count: 600)),
            ] {
                let start = ContinuousClock.now
                let response = try await Self.login(client, identifier: identifier, password: password)
                let elapsed = ContinuousClock.now - start
                #expect(response.status == .unauthorized, "\(identifier)")
                #expect(
                    try errorBody(response) == ["error": "AuthenticationRequired", "message": "Invalid identifier or password"])
                #expect(elapsed >= .milliseconds(350), "\(identifier): \(elapsed)")
            }
            // A successful login takes the floor too.
            let start = ContinuousClock.now
            #expect(try await Self.login(client, identifier: Self.handle, password: Self.password).status == .ok)
            #expect(ContinuousClock.now - start >= .milliseconds(350))
        }
        #expect(server.sample("pds_auth_attempts_total", labels: ["method": "password", "result": "failed"]) == 5)
    }

    @Test func createSessionBadInput() async throws {
        let server = try await Server()
        defer { server.close() }
        try await server.test { client in
            let cases: [(String, String)] = [
                ("{", "Invalid JSON body"),
                (#"{"password":"x"}"#, #"Input must have the property "identifier""#),
                (#"{"identifier":"a"}"#, #"Input must have the property "password""#),
                (#"{"identifier":1,"password":"x"}"#, "Input/identifier must be a string"),
                (#"{"identifier":"a","password":"x","allowTakendown":"yes"}"#, "Input/allowTakendown must be a boolean"),
            ]
            for (body, message) in cases {
                let response = try await client.execute(
                    uri: "/xrpc/com.atproto.server.createSession", method: .post, headers: Server.json(),
                    body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(try errorBody(response) == ["error": "InvalidRequest", "message": message], "\(body)")
            }
            let get = try await client.execute(uri: "/xrpc/com.atproto.server.createSession", method: .get)
            #expect(get.status == .badRequest)
        }
    }

    @Test func takendownAccounts() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: Self.handle, password: Self.password)
        let before = try await server.issueSession(did: alice.did)
        try await server.setTakedown(did: alice.did, true)
        try await server.test { client in
            let refused = try await Self.login(client, identifier: Self.handle, password: Self.password)
            #expect(refused.status == .unauthorized)
            #expect(try errorBody(refused) == ["error": "AccountTakedown", "message": "Account has been taken down"])

            let allowed = try await Self.login(
                client, identifier: Self.handle, password: Self.password, extra: ["allowTakendown": true])
            #expect(allowed.status == .ok)
            let body = try json(allowed)
            #expect(body["active"] as? Bool == false)
            #expect(body["status"] as? String == "takendown")
            let access = try #require(body["accessJwt"] as? String)
            let refresh = try #require(body["refreshJwt"] as? String)
            #expect(Self.claims(access)["scope"] as? String == "com.atproto.takendown")
            // The takendown session's refresh token is not stored: it cannot be rotated.
            let jti = try #require(Self.claims(refresh)["jti"] as? String)
            #expect(try await server.services.accounts.refreshToken(id: jti) == nil)
            // getSession accepts the takendown scope; other methods do not.
            let session = try await client.execute(
                uri: "/xrpc/com.atproto.server.getSession", method: .get, headers: Server.bearer(access))
            #expect(session.status == .ok)
            let list = try await client.execute(
                uri: "/xrpc/com.atproto.server.listAppPasswords", method: .get, headers: Server.bearer(access))
            #expect(try errorBody(list) == ["error": "InvalidToken", "message": "Bad token scope"])
            // An old full session of the account is refused everywhere but getSession, and cannot refresh.
            let old = try await client.execute(
                uri: "/xrpc/com.atproto.server.listAppPasswords", method: .get, headers: Server.bearer(before.accessJwt))
            #expect(old.status == .unauthorized)
            #expect(try errorBody(old)["error"] == "AccountTakedown")
            let refreshed = try await client.execute(
                uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Server.bearer(before.refreshJwt))
            #expect(refreshed.status == .unauthorized)
            #expect(try errorBody(refreshed)["error"] == "AccountTakedown")
        }
    }

    // MARK: getSession

    @Test func getSessionAndDeactivatedAccounts() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: Self.handle, password: Self.password, email: "alice@example.com")
        let tokens = try await server.issueSession(did: alice.did)
        try await server.test { client in
            let response = try await client.execute(
                uri: "/xrpc/com.atproto.server.getSession", method: .get, headers: Server.bearer(tokens.accessJwt))
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "private")
            #expect(response.headers[values: .vary].contains("Authorization"))
            let body = try json(response)
            #expect(body["did"] as? String == alice.did)
            #expect(body["handle"] as? String == Self.handle)
            #expect(body["email"] as? String == "alice@example.com")
            #expect(body["active"] as? Bool == true)
            #expect(body["accessJwt"] == nil && body["refreshJwt"] == nil)

            try await server.setDeactivated(did: alice.did, true)
            let deactivated = try json(
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.getSession", method: .get, headers: Server.bearer(tokens.accessJwt)))
            #expect(deactivated["active"] as? Bool == false)
            #expect(deactivated["status"] as? String == "deactivated")
            let refused = try await client.execute(
                uri: "/xrpc/com.atproto.server.getAccountInviteCodes", method: .get, headers: Server.bearer(tokens.accessJwt))
            #expect(refused.status == .ok)  // invite codes stay readable while deactivated, as the reference
        }
    }

    @Test func authErrorClassesOnAnAuthenticatedRoute() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: Self.handle, password: Self.password)
        let tokens = try await server.issueSession(did: alice.did)
        let expired = try await server.issueSession(did: alice.did, now: Date().addingTimeInterval(-3 * 3600))
        let forged = SessionJWT(secret: Array("not the secret".utf8), serviceDID: server.settings.serviceDID)
            .accessToken(did: alice.did, scope: .access).jwt
        let none =
            Base64URL.encode(Array(#"{"typ":"at+jwt","alg":"none"}"#.utf8)) + "."
            + Base64URL.encode(Array(#"{"scope":"com.atproto.access","aud":"did:web:pds.example.com","sub":"\#(alice.did)","iat":1,"exp":99999999999}"#.utf8)) + "."
        let unknownAccount = server.services.jwt.accessToken(did: Server.randomDID(), scope: .access).jwt
        let cases: [(HTTPFields, Int, String, String)] = [
            ([:], 401, "AuthMissing", "Authentication Required"),
            ([.authorization: "Bearer"], 400, "InvalidToken", "Malformed authorization header"),
            ([.authorization: "Bearer a b"], 400, "InvalidToken", "Malformed authorization header"),
            ([.authorization: "Token abc"], 400, "InvalidToken", "Unexpected authorization type"),
            (Server.adminAuth(), 400, "InvalidToken", "Unexpected authorization type"),
            ([.authorization: "DPoP abc"], 400, "InvalidToken", "OAuth (DPoP) access tokens are not supported by this server"),
            (Server.bearer("garbage"), 400, "InvalidToken", "Token could not be verified"),
            (Server.bearer(forged), 400, "InvalidToken", "Token could not be verified"),
            (Server.bearer(none), 400, "InvalidToken", "Token could not be verified"),
            (Server.bearer(tokens.refreshJwt), 400, "InvalidToken", "Token could not be verified"),
            (Server.bearer(expired.accessJwt), 400, "ExpiredToken", "Token has expired"),
            (Server.bearer(unknownAccount), 403, "AccountNotFound", "Account not found"),
        ]
        try await server.test { client in
            for (headers, status, code, message) in cases {
                let response = try await client.execute(
                    uri: "/xrpc/com.atproto.server.getSession", method: .get, headers: headers)
                #expect(response.status.code == status, "\(headers)")
                #expect(try errorBody(response) == ["error": code, "message": message], "\(headers)")
                if !headers.isEmpty {
                    #expect(response.headers[.cacheControl] == "private", "\(headers)")
                }
            }
            #expect(
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.getSession", method: .get, headers: Server.bearer(tokens.accessJwt)
                ).status == .ok)
        }
        #expect(server.sample("pds_auth_attempts_total", labels: ["method": "access", "result": "expired"]) == 1)
        #expect(server.sample("pds_auth_attempts_total", labels: ["method": "access", "result": "invalid"]) == 9)
        #expect(server.sample("pds_auth_attempts_total", labels: ["method": "access", "result": "ok"]) == 1)
    }

    // MARK: refreshSession and deleteSession

    @Test func refreshRotationGraceAndReuse() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: Self.handle, password: Self.password)
        try await server.test { client in
            let login = try json(try await Self.login(client, identifier: Self.handle, password: Self.password))
            let firstRefresh = try #require(login["refreshJwt"] as? String)
            let firstID = try #require(Self.claims(firstRefresh)["jti"] as? String)

            let rotated = try await client.execute(
                uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Server.bearer(firstRefresh))
            #expect(rotated.status == .ok)
            let body = try json(rotated)
            #expect(body["did"] as? String == alice.did)
            #expect(body["handle"] as? String == Self.handle)
            #expect(body["active"] as? Bool == true)
            let secondRefresh = try #require(body["refreshJwt"] as? String)
            let secondID = try #require(Self.claims(secondRefresh)["jti"] as? String)
            #expect(secondID != firstID)
            let rotatedAccess = try #require(body["accessJwt"] as? String)
            #expect(Self.claims(rotatedAccess)["scope"] as? String == "com.atproto.access")
            // The old token now expires within the grace period (2 hours), never later.
            let old = try #require(try await server.services.accounts.refreshToken(id: firstID))
            #expect(old.nextID == secondID)
            let graceEnd = Date().addingTimeInterval(2 * 3600 + 5)
            #expect(old.expiresAt <= PDSServices.timestamp(graceEnd))

            // Reuse within the grace period: same next token id.
            let reused = try json(
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Server.bearer(firstRefresh)))
            let reusedRefresh = try #require(reused["refreshJwt"] as? String)
            #expect(Self.claims(reusedRefresh)["jti"] as? String == secondID)

            // The new token rotates on its own.
            let third = try json(
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Server.bearer(secondRefresh)))
            let thirdRefresh = try #require(third["refreshJwt"] as? String)
            let thirdID = try #require(Self.claims(thirdRefresh)["jti"] as? String)
            #expect(thirdID != secondID && thirdID != firstID)

            // After the grace period the old token is refused.
            try await server.database.write(kind: "test") { db in
                try db.execute(
                    sql: "UPDATE refresh_token SET expires_at = ? WHERE id = ?",
                    arguments: [PDSServices.timestamp(Date().addingTimeInterval(-1)), firstID])
            }
            let late = try await client.execute(
                uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Server.bearer(firstRefresh))
            #expect(late.status == .badRequest)
            #expect(try errorBody(late) == ["error": "ExpiredToken", "message": "Token has been revoked"])
            #expect(try await server.services.accounts.refreshToken(id: firstID) == nil)

            // An access token is not a refresh token, and vice versa.
            let access = try #require(third["accessJwt"] as? String)
            let wrong = try await client.execute(
                uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Server.bearer(access))
            #expect(try errorBody(wrong) == ["error": "InvalidToken", "message": "Token could not be verified"])
            let missing = try await client.execute(uri: "/xrpc/com.atproto.server.refreshSession", method: .post)
            #expect(missing.status == .unauthorized)
            #expect(try errorBody(missing)["error"] == "AuthMissing")
        }
        #expect(server.sample("pds_auth_attempts_total", labels: ["method": "refresh", "result": "ok"]) == 3)
        #expect(server.sample("pds_auth_attempts_total", labels: ["method": "refresh", "result": "expired"]) == 1)
    }

    @Test func expiredRefreshTokenIsRefused() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: Self.handle)
        let old = try await server.issueSession(did: alice.did, now: Date().addingTimeInterval(-91 * 86_400))
        try await server.test { client in
            let response = try await client.execute(
                uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Server.bearer(old.refreshJwt))
            #expect(try errorBody(response) == ["error": "ExpiredToken", "message": "Token has expired"])
            // deleteSession still accepts it (and revokes it).
            let deleted = try await client.execute(
                uri: "/xrpc/com.atproto.server.deleteSession", method: .post, headers: Server.bearer(old.refreshJwt))
            #expect(deleted.status == .ok)
        }
    }

    @Test func deleteSessionRevokesTheRefreshToken() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: Self.handle)
        let tokens = try await server.issueSession(did: alice.did)
        let other = try await server.issueSession(did: alice.did)
        try await server.test { client in
            let wrongKind = try await client.execute(
                uri: "/xrpc/com.atproto.server.deleteSession", method: .post, headers: Server.bearer(tokens.accessJwt))
            #expect(try errorBody(wrongKind)["error"] == "InvalidToken")
            let deleted = try await client.execute(
                uri: "/xrpc/com.atproto.server.deleteSession", method: .post, headers: Server.bearer(tokens.refreshJwt))
            #expect(deleted.status == .ok)
            let refresh = try await client.execute(
                uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Server.bearer(tokens.refreshJwt))
            #expect(try errorBody(refresh) == ["error": "ExpiredToken", "message": "Token has been revoked"])
            // Other sessions live on.
            let still = try await client.execute(
                uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Server.bearer(other.refreshJwt))
            #expect(still.status == .ok)
            let again = try await client.execute(
                uri: "/xrpc/com.atproto.server.deleteSession", method: .post, headers: Server.bearer(tokens.refreshJwt))
            #expect(again.status == .ok)
        }
    }

    // MARK: Logs

    @Test func passwordsAndTokensNeverReachTheLog() async throws {
        let server = try await Server()
        defer { server.close() }
        try await server.createAccount(handle: Self.handle, password: Self.password)
        let secrets: [String] = try await server.test { client in
            let login = try json(try await Self.login(client, identifier: Self.handle, password: Self.password))
            let access = try #require(login["accessJwt"] as? String)
            let refresh = try #require(login["refreshJwt"] as? String)
            _ = try await Self.login(client, identifier: Self.handle, password: "wrong-password-123")
            _ = try await client.execute(uri: "/xrpc/com.atproto.server.getSession", method: .get, headers: Server.bearer(access))
            let rotated = try json(
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Server.bearer(refresh)))
            _ = try await client.execute(
                uri: "/xrpc/com.atproto.server.getSession?token=\(access.prefix(4))", method: .get,
                headers: Server.bearer(access + "x"))
            let rotatedRefresh = try #require(rotated["refreshJwt"] as? String)
            return [
                Self.password, access, refresh, "wrong-password-123", rotatedRefresh,
                String(access.split(separator: ".")[2]), String(refresh.split(separator: ".")[2]),
            ]
        }
        let entries = server.logs.entries
        #expect(server.logs.requestEntries.count >= 5)
        for entry in entries {
            let text = entry.message + " " + entry.metadata.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            for secret in secrets {
                #expect(!text.contains(secret), "log leaks a secret: \(entry.message)")
            }
        }
    }
}
