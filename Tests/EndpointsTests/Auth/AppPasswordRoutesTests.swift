import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

@Suite struct AppPasswordRoutesTests {
    typealias Server = TestServerWithServices
    static let handle = "bob.pds.example.com"

    static func create(_ client: some TestClientProtocol, token: String, body: [String: Any]) async throws -> TestResponse {
        try await client.execute(
            uri: "/xrpc/com.atproto.server.createAppPassword", method: .post, headers: Server.json(Server.bearer(token)),
            body: Server.body(body))
    }

    @Test func createListLoginAndRevoke() async throws {
        let server = try await Server()
        defer { server.close() }
        let bob = try await server.createAccount(handle: Self.handle, password: "account-password")
        let full = try await server.issueSession(did: bob.did)
        try await server.test { client in
            let created = try await Self.create(client, token: full.accessJwt, body: ["name": "Graysky"])
            #expect(created.status == .ok)
            let body = try json(created)
            #expect(body["name"] as? String == "Graysky")
            #expect(body["privileged"] as? Bool == false)
            #expect((body["createdAt"] as? String)?.hasSuffix("Z") == true)
            let password = try #require(body["password"] as? String)
            #expect(password.wholeMatch(of: /[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}/) != nil)

            let privileged = try json(
                try await Self.create(client, token: full.accessJwt, body: ["name": "Chat", "privileged": true]))
            #expect(privileged["privileged"] as? Bool == true)
            let privilegedPassword = try #require(privileged["password"] as? String)

            let duplicate = try await Self.create(client, token: full.accessJwt, body: ["name": "Graysky"])
            #expect(duplicate.status == .badRequest)
            #expect(try errorBody(duplicate)["message"] == #"An app password named "Graysky" already exists"#)
            for bad in ["", "   "] {
                let empty = try await Self.create(client, token: full.accessJwt, body: ["name": bad])
                #expect(try errorBody(empty) == ["error": "InvalidRequest", "message": "App password name must not be empty"])
            }
            let long = try await Self.create(client, token: full.accessJwt, body: ["name": String(repeating: "n", count: 101)])
            #expect(long.status == .badRequest)
            let missing = try await Self.create(client, token: full.accessJwt, body: [:])
            #expect(try errorBody(missing)["message"] == #"Input must have the property "name""#)
            let wrongType = try await Self.create(client, token: full.accessJwt, body: ["name": "x", "privileged": "yes"])
            #expect(try errorBody(wrongType)["message"] == "Input/privileged must be a boolean")

            let list = try json(
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.listAppPasswords", method: .get, headers: Server.bearer(full.accessJwt)))
            let items = try #require(list["passwords"] as? [[String: Any]])
            #expect(Set(items.compactMap { $0["name"] as? String }) == ["Graysky", "Chat"])
            #expect(items.allSatisfy { $0["password"] == nil })

            // Logging in with the app password gives an app-password session.
            let login = try json(
                try await SessionRoutesTests.login(client, identifier: Self.handle, password: password))
            let appAccess = try #require(login["accessJwt"] as? String)
            let appRefresh = try #require(login["refreshJwt"] as? String)
            #expect(SessionRoutesTests.claims(appAccess)["scope"] as? String == "com.atproto.appPass")
            let privilegedLogin = try json(
                try await SessionRoutesTests.login(client, identifier: Self.handle, password: privilegedPassword))
            let privilegedAccess = try #require(privilegedLogin["accessJwt"] as? String)
            #expect(SessionRoutesTests.claims(privilegedAccess)["scope"] as? String == "com.atproto.appPassPrivileged")

            // App-password sessions cannot make app passwords or read invite codes, but can list and revoke.
            let escalate = try await Self.create(client, token: appAccess, body: ["name": "more"])
            #expect(escalate.status == .badRequest)
            #expect(try errorBody(escalate) == ["error": "InvalidToken", "message": "Bad token scope"])
            let invites = try await client.execute(
                uri: "/xrpc/com.atproto.server.getAccountInviteCodes", method: .get, headers: Server.bearer(appAccess))
            #expect(try errorBody(invites)["message"] == "Bad token scope")
            #expect(
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.listAppPasswords", method: .get, headers: Server.bearer(appAccess)
                ).status == .ok)

            // A refreshed app-password session keeps its scope.
            let refreshed = try json(
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Server.bearer(appRefresh)))
            let nextRefresh = try #require(refreshed["refreshJwt"] as? String)
            let refreshedAccess = try #require(refreshed["accessJwt"] as? String)
            #expect(SessionRoutesTests.claims(refreshedAccess)["scope"] as? String == "com.atproto.appPass")

            // Revoking kills its refresh tokens and the password itself.
            let revoke = try await client.execute(
                uri: "/xrpc/com.atproto.server.revokeAppPassword", method: .post,
                headers: Server.json(Server.bearer(full.accessJwt)), body: Server.body(["name": "Graysky"]))
            #expect(revoke.status == .ok)
            for token in [appRefresh, nextRefresh] {
                let dead = try await client.execute(
                    uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Server.bearer(token))
                #expect(try errorBody(dead) == ["error": "ExpiredToken", "message": "Token has been revoked"])
            }
            let relogin = try await SessionRoutesTests.login(client, identifier: Self.handle, password: password)
            #expect(relogin.status == .unauthorized)
            let after = try json(
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.listAppPasswords", method: .get, headers: Server.bearer(full.accessJwt)))
            #expect((after["passwords"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["Chat"])
            let revokeMissing = try await client.execute(
                uri: "/xrpc/com.atproto.server.revokeAppPassword", method: .post,
                headers: Server.json(Server.bearer(full.accessJwt)), body: Server.body([:]))
            #expect(try errorBody(revokeMissing)["message"] == #"Input must have the property "name""#)
        }
        #expect(server.sample("pds_auth_attempts_total", labels: ["method": "app_password", "result": "ok"]) == 2)
    }

    @Test func takendownAccountsCannotUseAppPasswords() async throws {
        let server = try await Server()
        defer { server.close() }
        let bob = try await server.createAccount(handle: Self.handle, password: "account-password")
        let full = try await server.issueSession(did: bob.did)
        try await server.test { client in
            let password = try #require(
                try json(try await Self.create(client, token: full.accessJwt, body: ["name": "app"]))["password"] as? String)
            try await server.setTakedown(did: bob.did, true)
            let login = try await SessionRoutesTests.login(
                client, identifier: Self.handle, password: password, extra: ["allowTakendown": true])
            #expect(login.status == .unauthorized)
            #expect(try errorBody(login)["message"] == "Invalid identifier or password")
            let create = try await Self.create(client, token: full.accessJwt, body: ["name": "other"])
            #expect(try errorBody(create)["error"] == "AccountTakedown")
        }
    }

    @Test func unauthenticatedCalls() async throws {
        let server = try await Server()
        defer { server.close() }
        try await server.test { client in
            for (uri, method) in [
                ("/xrpc/com.atproto.server.createAppPassword", HTTPRequest.Method.post),
                ("/xrpc/com.atproto.server.listAppPasswords", .get), ("/xrpc/com.atproto.server.revokeAppPassword", .post),
            ] {
                let response = try await client.execute(uri: uri, method: method, headers: Server.json(), body: Server.body(["name": "x"]))
                #expect(response.status == .unauthorized, "\(uri)")
                #expect(try errorBody(response) == ["error": "AuthMissing", "message": "Authentication Required"])
            }
        }
    }
}
