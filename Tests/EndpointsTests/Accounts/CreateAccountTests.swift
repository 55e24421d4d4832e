import ATProto
import Foundation
import Hummingbird
import GRDB
import HummingbirdTesting
import NIOCore
import Testing

@testable import Endpoints

@Suite("com.atproto.server.createAccount")
struct CreateAccountTests {
    @Test("creates a did:plc account: directory holds the genesis op, events written, tokens work")
    func happyPath() async throws {
        try await AccountsHarness.with { harness in
            let output = try await harness.test { client in
                let response = try await AccountsHarness.createAccount(client, AccountsHarness.input("alice"))
                #expect(response.status == .ok)
                let output = AccountsHarness.object(response)
                let access = try #require(output["accessJwt"] as? String)
                let session = try await client.execute(
                    uri: "/xrpc/com.atproto.server.getSession", method: .get,
                    headers: [.authorization: "Bearer \(access)"])
                #expect(session.status == .ok)
                let sessionBody = AccountsHarness.object(session)
                #expect(sessionBody["did"] as? String == output["did"] as? String)
                #expect(sessionBody["handle"] as? String == "alice.pds.example.com")
                #expect(sessionBody["email"] as? String == "alice@example.com")
                let refresh = try #require(output["refreshJwt"] as? String)
                let refreshed = try await client.execute(
                    uri: "/xrpc/com.atproto.server.refreshSession", method: .post,
                    headers: [.authorization: "Bearer \(refresh)"])
                #expect(refreshed.status == .ok)
                return output
            }
            let did = try #require(output["did"] as? String)
            #expect(output["handle"] as? String == "alice.pds.example.com")
            #expect(DID.isValid(did) && did.hasPrefix("did:plc:"))

            let operations = harness.plc.operations(did: did)
            let genesis = try #require(operations.first)
            #expect(operations.count == 1)
            #expect(PLC.did(forGenesis: genesis) == did)
            #expect(genesis.verify(rotationKeys: [harness.rotationKey.publicKey.didKey]))
            #expect(genesis.operation.prev == nil)
            #expect(genesis.operation.rotationKeys == [harness.rotationKey.publicKey.didKey])
            #expect(genesis.operation.alsoKnownAs == ["at://alice.pds.example.com"])
            #expect(genesis.operation.pdsEndpoint == "https://pds.example.com")
            #expect(genesis.operation.services["atproto_pds"]?.type == "AtprotoPersonalDataServer")
            let signingKey = try #require(try await harness.signingKey(did: did))
            #expect(genesis.operation.atprotoSigningKey == signingKey.publicKey.didKey)
            #expect(signingKey != harness.rotationKey)

            let didDoc = try #require(output["didDoc"] as? [String: Any])
            #expect(didDoc["id"] as? String == did)
            #expect(didDoc["alsoKnownAs"] as? [String] == ["at://alice.pds.example.com"])
            let methods = try #require(didDoc["verificationMethod"] as? [[String: Any]])
            #expect(methods.first?["id"] as? String == "\(did)#atproto")
            #expect(methods.first?["type"] as? String == "Multikey")
            #expect(methods.first?["publicKeyMultibase"] as? String == signingKey.publicKey.multikey)
            let services = try #require(didDoc["service"] as? [[String: Any]])
            #expect(services.first?["id"] as? String == "#atproto_pds")
            #expect(services.first?["serviceEndpoint"] as? String == "https://pds.example.com")

            #expect(try await harness.eventKinds(did: did) == ["identity", "account", "commit", "sync"])
            #expect(try await harness.repoCount() == 1)
            #expect(harness.sample("pds_account_events_total", labels: ["type": "created"]) == 1)
            #expect(harness.sample("pds_plc_requests_total", labels: ["op": "submit", "result": "ok"]) == 1)

            let created = try #require(harness.logs.entries.first { $0.message == "account created" })
            #expect(created.metadata["did"] == did)
            #expect(created.metadata["handle"] == "alice.pds.example.com")
            for entry in harness.logs.entries {
                let text = entry.message + entry.metadata.values.joined(separator: " ")
                #expect(!text.contains("alice@example.com"))
                #expect(!text.contains("correct horse"))
            }
        }
    }

    @Test("the handle is stored lower-cased")
    func handleNormalised() async throws {
        try await AccountsHarness.with { harness in
            let output = try await harness.test { client in
                let response = try await AccountsHarness.createAccount(
                    client, AccountsHarness.input("bob", ["handle": "Bob.PDS.Example.com", "email": "Bob@Example.com"]))
                #expect(response.status == .ok)
                return AccountsHarness.object(response)
            }
            #expect(output["handle"] as? String == "bob.pds.example.com")
            let did = try #require(output["did"] as? String)
            let account = try await harness.services.accounts.account(did: did)
            #expect(account?.handle == "bob.pds.example.com")
            #expect(account?.email == "bob@example.com")
        }
    }

    @Test("a recovery key comes first in the rotation keys")
    func recoveryKey() async throws {
        let recovery = K256PrivateKey().publicKey.didKey
        try await AccountsHarness.with { harness in
            let output = try await harness.test { client in
                let response = try await AccountsHarness.createAccount(
                    client, AccountsHarness.input("carol", ["recoveryKey": recovery]))
                #expect(response.status == .ok)
                return AccountsHarness.object(response)
            }
            let did = try #require(output["did"] as? String)
            let genesis = try #require(harness.plc.operations(did: did).first)
            #expect(genesis.operation.rotationKeys == [recovery, harness.rotationKey.publicKey.didKey])
        }
    }

    @Test("an account without a password cannot log in with one but gets tokens")
    func noPassword() async throws {
        try await AccountsHarness.with { harness in
            var input = AccountsHarness.input("dave")
            input["password"] = nil
            let body = AccountsHarness.body(input)
            let output = try await harness.test { client in
                let response = try await client.execute(
                    uri: AccountsHarness.createAccountURI, method: .post, headers: AccountsHarness.jsonHeaders, body: body)
                #expect(response.status == .ok)
                return AccountsHarness.object(response)
            }
            let did = try #require(output["did"] as? String)
            #expect(try await harness.services.accounts.account(did: did)?.passwordScrypt == nil)
        }
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        let name: String
        let body: String
        let status: HTTPResponse.Status
        let code: String
        var testDescription: String { name }

        init(_ name: String, _ input: [String: Any], _ code: String, _ status: HTTPResponse.Status = .badRequest) {
            self.name = name
            self.body = String(decoding: (try? JSONSerialization.data(withJSONObject: input)) ?? Data(), as: UTF8.self)
            self.status = status
            self.code = code
        }

        init(name: String, raw: String, code: String) {
            self.name = name
            self.body = raw
            self.status = .badRequest
            self.code = code
        }
    }

    static let invalidInputs: [Invalid] = [
        Invalid("plcOp is refused", AccountsHarness.input("erin", ["plcOp": ["type": "plc_operation"]]), "InvalidRequest"),
        Invalid(
            "password over 256 characters", AccountsHarness.input("erin", ["password": String(repeating: "p", count: 257)]),
            "InvalidPassword"),
        Invalid("empty password", AccountsHarness.input("erin", ["password": ""]), "InvalidPassword"),
        Invalid("missing email", ["handle": "erin.pds.example.com", "password": "correct horse"], "InvalidEmail"),
        Invalid("empty email", AccountsHarness.input("erin", ["email": ""]), "InvalidEmail"),
        Invalid("email without @", AccountsHarness.input("erin", ["email": "erin.example.com"]), "InvalidEmail"),
        Invalid("email with two @", AccountsHarness.input("erin", ["email": "erin@x@example.com"]), "InvalidEmail"),
        Invalid("email without a dot in the domain", AccountsHarness.input("erin", ["email": "erin@localhost"]), "InvalidEmail"),
        Invalid("email with a space", AccountsHarness.input("erin", ["email": "er in@example.com"]), "InvalidEmail"),
        Invalid("handle syntax", AccountsHarness.input("erin", ["handle": "er_in.pds.example.com"]), "InvalidHandle"),
        Invalid("handle with a trailing dot", AccountsHarness.input("erin", ["handle": "erin.pds.example.com."]), "InvalidHandle"),
        Invalid("handle with a disallowed TLD", AccountsHarness.input("erin", ["handle": "erin.local"]), "InvalidHandle"),
        Invalid("handle under another domain", AccountsHarness.input("erin", ["handle": "erin.example.org"]), "UnsupportedDomain"),
        Invalid("handle that is only the domain", AccountsHarness.input("erin", ["handle": "pds.example.com"]), "UnsupportedDomain"),
        Invalid("first label of 2 characters", AccountsHarness.input("er"), "InvalidHandle"),
        Invalid("first label of 19 characters", AccountsHarness.input(String(repeating: "e", count: 19)), "InvalidHandle"),
        Invalid("dots before the service domain", AccountsHarness.input("erin", ["handle": "a.erin.pds.example.com"]), "InvalidHandle"),
        Invalid("reserved handle", AccountsHarness.input("admin"), "HandleNotAvailable"),
        Invalid("reserved atproto name", AccountsHarness.input("bsky"), "HandleNotAvailable"),
        Invalid("recovery key that is not a did:key", AccountsHarness.input("erin", ["recoveryKey": "zQ3notakey"]), "InvalidRequest"),
        Invalid("bringing a DID without service auth", AccountsHarness.input("erin", ["did": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"]), "AuthenticationRequired", .unauthorized),
        Invalid("missing handle", ["email": "erin@example.com", "password": "correct horse"], "InvalidRequest"),
        Invalid("handle of the wrong type", AccountsHarness.input("erin", ["handle": 42]), "InvalidRequest"),
        Invalid("password of the wrong type", AccountsHarness.input("erin", ["password": true]), "InvalidRequest"),
        Invalid(name: "malformed JSON", raw: "{\"handle\": ", code: "InvalidRequest"),
        Invalid(name: "a JSON array", raw: "[]", code: "InvalidRequest"),
    ]

    @Test("invalid input is refused before anything is written or sent to the directory", arguments: invalidInputs)
    func invalidInput(_ invalid: Invalid) async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let response = try await client.execute(
                    uri: AccountsHarness.createAccountURI, method: .post, headers: AccountsHarness.jsonHeaders,
                    body: ByteBuffer(string: invalid.body))
                #expect(response.status == invalid.status)
                #expect(AccountsHarness.object(response)["error"] as? String == invalid.code)
            }
            #expect(harness.plc.requestCount == 0)
            #expect(try await harness.accountCount() == 0)
            #expect(try await harness.eventCount() == 0)
        }
    }

    @Test("a taken handle or email is refused without a PLC request")
    func duplicates() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                #expect(try await AccountsHarness.createAccount(client, AccountsHarness.input("frank")).status == .ok)
                let sameHandle = try await AccountsHarness.createAccount(
                    client, AccountsHarness.input("frank", ["handle": "FRANK.pds.example.com", "email": "other@example.com"]))
                #expect(sameHandle.status == .badRequest)
                #expect(AccountsHarness.object(sameHandle)["error"] as? String == "HandleNotAvailable")
                #expect(AccountsHarness.object(sameHandle)["message"] as? String == "Handle already taken: frank.pds.example.com")
                let sameEmail = try await AccountsHarness.createAccount(
                    client, AccountsHarness.input("george", ["email": "Frank@example.com"]))
                #expect(sameEmail.status == .badRequest)
                #expect(AccountsHarness.object(sameEmail)["error"] as? String == "InvalidEmail")
                #expect(AccountsHarness.object(sameEmail)["message"] as? String == "Email already taken: frank@example.com")
            }
            #expect(harness.plc.postCount == 1)
            #expect(try await harness.accountCount() == 1)
        }
    }

    @Test("invite codes: required, must exist, are used up")
    func inviteRequired() async throws {
        try await AccountsHarness.with(inviteRequired: true) { harness in
            try await harness.services.accounts.createInviteCodes(
                [(forAccount: "admin", codes: ["pds-example-com-aaaaa-bbbbb"])], useCount: 1, createdBy: "admin",
                createdAt: "2026-01-01T00:00:00.000Z")
            let did = try await harness.test { client in
                let none = try await AccountsHarness.createAccount(client, AccountsHarness.input("hank"))
                #expect(none.status == .badRequest)
                #expect(AccountsHarness.object(none)["error"] as? String == "InvalidInviteCode")
                let unknown = try await AccountsHarness.createAccount(
                    client, AccountsHarness.input("hank", ["inviteCode": "pds-example-com-zzzzz-zzzzz"]))
                #expect(unknown.status == .badRequest)
                #expect(AccountsHarness.object(unknown)["error"] as? String == "InvalidInviteCode")
                let valid = try await AccountsHarness.createAccount(
                    client, AccountsHarness.input("hank", ["inviteCode": "pds-example-com-aaaaa-bbbbb"]))
                #expect(valid.status == .ok)
                let usedUp = try await AccountsHarness.createAccount(
                    client, AccountsHarness.input("irene", ["inviteCode": "pds-example-com-aaaaa-bbbbb"]))
                #expect(usedUp.status == .badRequest)
                #expect(AccountsHarness.object(usedUp)["error"] as? String == "InvalidInviteCode")
                return AccountsHarness.object(valid)["did"] as? String
            }
            let code = try await harness.services.accounts.inviteCode("pds-example-com-aaaaa-bbbbb")
            #expect(code?.uses.map(\.usedBy) == [try #require(did)])
            #expect(harness.plc.postCount == 1)
            #expect(try await harness.accountCount() == 1)
        }
    }

    @Test("directory answering 500: retried, then 502 and nothing stored")
    func directoryFailing() async throws {
        try await AccountsHarness.with(plcAttempts: 3) { harness in
            harness.plc.mode = .failing
            try await harness.test { client in
                let response = try await AccountsHarness.createAccount(client, AccountsHarness.input("judy"))
                #expect(response.status == .badGateway)
                #expect(AccountsHarness.object(response)["error"] as? String == "UpstreamFailure")
            }
            #expect(harness.plc.postCount == 3)
            #expect(try await harness.accountCount() == 0)
            #expect(try await harness.repoCount() == 0)
            #expect(try await harness.eventCount() == 0)
            #expect(harness.sample("pds_plc_requests_total", labels: ["op": "submit", "result": "error"]) == 3)
            #expect(harness.sample("pds_account_events_total", labels: ["type": "create_failed"]) == 1)
        }
    }

    @Test("directory refusing the operation: 502 with its message, not retried, nothing stored")
    func directoryRefusing() async throws {
        try await AccountsHarness.with(plcAttempts: 3) { harness in
            harness.plc.mode = .refusing
            try await harness.test { client in
                let response = try await AccountsHarness.createAccount(client, AccountsHarness.input("kate"))
                #expect(response.status == .badGateway)
                let message = AccountsHarness.object(response)["message"] as? String ?? ""
                #expect(message.contains(TestPLCDirectory.refusalMessage))
            }
            #expect(harness.plc.postCount == 1)
            #expect(try await harness.accountCount() == 0)
            #expect(try await harness.eventCount() == 0)
            #expect(harness.sample("pds_plc_requests_total", labels: ["op": "submit", "result": "rejected"]) == 1)
        }
    }

    @Test("directory unreachable: 502 and nothing stored")
    func directoryDown() async throws {
        // A port that was just bound and released: nothing listens there.
        let closed = try await TestPLCDirectory.start()
        let url = closed.url
        await closed.stop()
        try await AccountsHarness.with(plcURL: url) { harness in
            try await harness.test { client in
                let response = try await AccountsHarness.createAccount(client, AccountsHarness.input("liam"))
                #expect(response.status == .badGateway)
                #expect(AccountsHarness.object(response)["error"] as? String == "UpstreamFailure")
            }
            #expect(try await harness.accountCount() == 0)
            #expect(try await harness.eventCount() == 0)
        }
    }
}

@Suite("createAccount when storage fails after the directory registered the DID")
struct CreateAccountStorageFailureTests {
    @Test("the DID is tombstoned, the client gets 500, nothing is stored")
    func tombstoned() async throws {
        try await AccountsHarness.with { harness in
            try await harness.database.write(kind: "test") { db in
                try db.execute(
                    sql: "CREATE TEMP TRIGGER fail_account BEFORE INSERT ON account BEGIN SELECT RAISE(ABORT, 'test failure'); END")
            }
            try await harness.test { client in
                let response = try await AccountsHarness.createAccount(client, AccountsHarness.input("nina"))
                #expect(response.status == .internalServerError)
            }
            let did = try #require(harness.plc.dids.first)
            #expect(harness.plc.isTombstoned(did))
            #expect(try await harness.accountCount() == 0)
            #expect(try await harness.repoCount() == 0)
            #expect(try await harness.eventCount() == 0)
            #expect(harness.logs.entries.contains { $0.message.contains("retired the DID") && $0.metadata["did"] == did })
        }
    }
}
