import ATProto
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

/// Account migration step 2 (PDS-REFERENCE §5.4): createAccount with the caller's own DID and a service token
/// from getServiceAuth. One server plays both parts: the account is signed up, asks for the token, and is then
/// deleted here (as if it lived on another server) before the DID is brought back.
@Suite("createAccount with a brought DID")
struct AccountMigrationTests {
    static let lxm = "com.atproto.server.createAccount"

    static func serviceToken(
        _ client: any TestClientProtocol, access: String, aud: String, lxm: String = lxm
    ) async throws -> String {
        let response = try await client.execute(
            uri: "/xrpc/com.atproto.server.getServiceAuth?aud=\(aud)&lxm=\(lxm)", method: .get,
            headers: [.authorization: "Bearer \(access)"])
        #expect(response.status == .ok, "getServiceAuth: \(String(buffer: response.body))")
        return try #require(AccountsHarness.object(response)["token"] as? String)
    }

    static func createAccount(
        _ client: any TestClientProtocol, _ input: [String: Any], token: String?
    ) async throws -> TestResponse {
        var headers = AccountsHarness.jsonHeaders
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(
            uri: AccountsHarness.createAccountURI, method: .post, headers: headers, body: AccountsHarness.body(input))
    }

    @Test("live: getServiceAuth on one account, then createAccount with its DID: deactivated, new key, no PLC op, no events")
    func liveMigration() async throws {
        try await AccountsHarness.with { harness in
            let aud = harness.settings.serviceDID
            try await harness.test(.live) { client in
                let calls = AdminCalls(client: client)
                let alice = try await calls.signUp("alice")
                let bob = try await calls.signUp("bob")
                let token = try await Self.serviceToken(client, access: alice.access, aud: aud)
                let bobToken = try await Self.serviceToken(client, access: bob.access, aud: aud)
                let wrongMethod = try await Self.serviceToken(
                    client, access: alice.access, aud: aud, lxm: "com.atproto.repo.uploadBlob")
                let oldKey = try #require(harness.plc.operations(did: alice.did).first?.operation.atprotoSigningKey)

                // The old home forgets the account; its DID stays in the directory.
                let deleted = try await calls.post("com.atproto.admin.deleteAccount", ["did": alice.did])
                #expect(deleted.status == .ok)
                let postsBefore = harness.plc.postCount
                let eventsBefore = try await harness.eventKinds(did: alice.did)

                let input = AccountsHarness.input("alice2", ["did": alice.did])
                let anonymous = try await Self.createAccount(client, input, token: nil)
                #expect(anonymous.status == .unauthorized)
                #expect(AccountsHarness.object(anonymous)["error"] as? String == "AuthenticationRequired")
                #expect(
                    AccountsHarness.object(anonymous)["message"] as? String
                        == "Missing auth to create account with did: \(alice.did)")
                let otherIssuer = try await Self.createAccount(client, input, token: bobToken)
                #expect(otherIssuer.status == .unauthorized)
                #expect(AccountsHarness.object(otherIssuer)["message"] as? String == "Missing auth to create account with did: \(alice.did)")
                let wrongLxm = try await Self.createAccount(client, input, token: wrongMethod)
                #expect(wrongLxm.status == .unauthorized)
                #expect(AccountsHarness.object(wrongLxm)["error"] as? String == "BadJwtLexiconMethod")
                let garbage = try await Self.createAccount(client, input, token: "not.a.jwt")
                #expect(AccountsHarness.object(garbage)["error"] as? String == "BadJwt")

                let response = try await Self.createAccount(client, input, token: token)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let output = AccountsHarness.object(response)
                #expect(output["did"] as? String == alice.did)
                #expect(output["handle"] as? String == "alice2.pds.example.com")
                // The DID's current document, as the directory serves it.
                let didDoc = try #require(output["didDoc"] as? [String: Any])
                #expect(didDoc["id"] as? String == alice.did)
                #expect(didDoc["alsoKnownAs"] as? [String] == ["at://alice.pds.example.com"])

                let access = try #require(output["accessJwt"] as? String)
                let session = try await client.execute(
                    uri: "/xrpc/com.atproto.server.getSession", method: .get, headers: [.authorization: "Bearer \(access)"])
                #expect(session.status == .ok)
                #expect(AccountsHarness.object(session)["active"] as? Bool == false)
                #expect(AccountsHarness.object(session)["status"] as? String == "deactivated")

                // The token is spent.
                let replay = try await Self.createAccount(client, AccountsHarness.input("alice3", ["did": alice.did]), token: token)
                #expect(replay.status == .unauthorized)
                #expect(AccountsHarness.object(replay)["error"] as? String == "BadJwt")

                let account = try #require(try await harness.services.accounts.account(did: alice.did))
                #expect(account.deactivatedAt != nil)
                #expect(account.deleteAfter != nil)
                #expect(account.handle == "alice2.pds.example.com")
                let newKey = try #require(try await harness.signingKey(did: alice.did))
                #expect(newKey.publicKey.didKey != oldKey)
                #expect(try await harness.services.repos.head(did: alice.did) != nil)
                // Nothing sent to the directory, no event announced for the new account.
                #expect(harness.plc.postCount == postsBefore)
                #expect(harness.plc.operations(did: alice.did).count == 1)
                #expect(try await harness.eventKinds(did: alice.did) == eventsBefore)
            }
            #expect(harness.sample("pds_auth_attempts_total", labels: ["method": "service", "result": "ok"]) == 2)
            #expect(harness.sample("pds_auth_attempts_total", labels: ["method": "service", "result": "invalid"]) == 3)
            #expect(harness.sample("pds_account_events_total", labels: ["type": "created"]) == 3)
        }
    }

    @Test("a brought DID may keep a handle outside the service domains when it resolves to the DID")
    func externalHandle() async throws {
        try await AccountsHarness.with { harness in
            let aud = harness.settings.serviceDID
            try await harness.test { client in
                let calls = AdminCalls(client: client)
                let bob = try await calls.signUp("bob")
                let first = try await Self.serviceToken(client, access: bob.access, aud: aud)
                let second = try await Self.serviceToken(client, access: bob.access, aud: aud)
                let third = try await Self.serviceToken(client, access: bob.access, aud: aud)

                // Still hosted here: refused before anything is written.
                let hosted = try await Self.createAccount(
                    client, AccountsHarness.input("bobby", ["did": bob.did, "email": "bobby@example.com"]), token: first)
                #expect(hosted.status == .badRequest)
                #expect(
                    AccountsHarness.object(hosted)["message"] as? String
                        == "An account with this DID already exists on this server: \(bob.did)")
                _ = try await calls.post("com.atproto.admin.deleteAccount", ["did": bob.did])

                let unresolved = try await Self.createAccount(
                    client, AccountsHarness.input("bob", ["did": bob.did, "handle": "bob.example.org"]), token: second)
                #expect(unresolved.status == .badRequest)
                #expect(AccountsHarness.object(unresolved)["message"] as? String == "External handle did not resolve to DID")

                harness.foreignTXT.set("_atproto.bob.example.org", ["did=\(bob.did)"])
                let resolved = try await Self.createAccount(
                    client, AccountsHarness.input("bob", ["did": bob.did, "handle": "Bob.Example.org"]), token: third)
                #expect(resolved.status == .ok, "\(String(buffer: resolved.body))")
                #expect(AccountsHarness.object(resolved)["handle"] as? String == "bob.example.org")
                #expect(try await harness.services.accounts.account(handle: "bob.example.org")?.did == bob.did)

                // Without a DID, an outside handle stays unsupported.
                let plain = try await AccountsHarness.createAccount(
                    client, AccountsHarness.input("carol", ["handle": "carol.example.org"]))
                #expect(AccountsHarness.object(plain)["error"] as? String == "UnsupportedDomain")
            }
        }
    }
}
