import ATProto
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

/// The account's own lifecycle and identity methods: updateHandle, deactivateAccount, activateAccount,
/// checkAccountStatus, getRecommendedDidCredentials, submitPlcOperation, importRepo and listMissingBlobs.
@Suite("Account lifecycle and migration")
struct AccountLifecycleTests {
    /// Calls with one account's access token.
    struct Calls {
        let client: any TestClientProtocol
        let token: String?

        var auth: HTTPFields { token.map { [.authorization: "Bearer \($0)"] } ?? [:] }

        func post(_ nsid: String, _ body: [String: Any]) async throws -> TestResponse {
            var headers = auth
            headers[.contentType] = "application/json"
            return try await client.execute(
                uri: "/xrpc/\(nsid)", method: .post, headers: headers, body: AccountsHarness.body(body))
        }

        func post(_ nsid: String, bytes: [UInt8], contentType: String) async throws -> TestResponse {
            var headers = auth
            headers[.contentType] = contentType
            return try await client.execute(uri: "/xrpc/\(nsid)", method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
        }

        func get(_ nsid: String, _ query: String = "") async throws -> TestResponse {
            try await client.execute(uri: "/xrpc/\(nsid)" + (query.isEmpty ? "" : "?\(query)"), method: .get, headers: auth)
        }
    }

    static func object(_ response: TestResponse) -> [String: Any] { AccountsHarness.object(response) }
    static func error(_ response: TestResponse) -> String? { object(response)["error"] as? String }
    static func message(_ response: TestResponse) -> String? { object(response)["message"] as? String }

    /// Signs `name` up on a harness whose handles end in `domain`; returns its DID and access token.
    static func signUp(_ client: any TestClientProtocol, _ name: String, domain: String = "pds.example.com") async throws
        -> (did: String, access: String)
    {
        let response = try await AccountsHarness.createAccount(
            client, AccountsHarness.input(name, ["handle": "\(name).\(domain)"]))
        #expect(response.status == .ok, "createAccount \(name): \(String(buffer: response.body))")
        let output = object(response)
        return (try #require(output["did"] as? String), try #require(output["accessJwt"] as? String))
    }

    static func frames(_ harness: AccountsHarness, did: String) async throws -> [[UInt8]] {
        try await harness.database.read(kind: "test") { db in
            try Data.fetchAll(db, sql: "SELECT frame FROM firehose_event WHERE did = ? ORDER BY seq", arguments: [did]).map { [UInt8]($0) }
        }
    }

    // MARK: updateHandle

    @Test("updateHandle: service and custom-domain handles, PLC update, #identity, the reference's errors")
    func updateHandle() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let alice = try await Self.signUp(client, "alice")
                _ = try await Self.signUp(client, "bob")
                let calls = Calls(client: client, token: alice.access)

                let anonymous = try await Calls(client: client, token: nil).post(IdentityUpdateRoutes.updateHandleNSID, ["handle": "x.pds.example.com"])
                #expect(anonymous.status == .unauthorized)

                let changed = try await calls.post(IdentityUpdateRoutes.updateHandleNSID, ["handle": "Alice2.pds.example.com"])
                #expect(changed.status == .ok, "\(String(buffer: changed.body))")
                #expect(harness.plc.operations(did: alice.did).last?.operation.alsoKnownAs == ["at://alice2.pds.example.com"])
                #expect(try await harness.services.accounts.account(did: alice.did)?.handle == "alice2.pds.example.com")
                #expect(try await harness.eventKinds(did: alice.did).last == "identity")

                let taken = try await calls.post(IdentityUpdateRoutes.updateHandleNSID, ["handle": "bob.pds.example.com"])
                #expect(taken.status == .badRequest)
                #expect(Self.error(taken) == "HandleNotAvailable")
                let reserved = try await calls.post(IdentityUpdateRoutes.updateHandleNSID, ["handle": "admin.pds.example.com"])
                #expect(Self.error(reserved) == "HandleNotAvailable")
                let invalid = try await calls.post(IdentityUpdateRoutes.updateHandleNSID, ["handle": "not a handle"])
                #expect(Self.error(invalid) == "InvalidHandle")
                let missing = try await calls.post(IdentityUpdateRoutes.updateHandleNSID, [:])
                #expect(missing.status == .badRequest)
                let unresolved = try await calls.post(IdentityUpdateRoutes.updateHandleNSID, ["handle": "alice.example.org"])
                #expect(Self.message(unresolved) == "External handle did not resolve to DID")

                harness.foreignTXT.set("_atproto.alice.example.org", ["did=\(alice.did)"])
                let external = try await calls.post(IdentityUpdateRoutes.updateHandleNSID, ["handle": "alice.example.org"])
                #expect(external.status == .ok, "\(String(buffer: external.body))")
                #expect(harness.plc.operations(did: alice.did).last?.operation.alsoKnownAs == ["at://alice.example.org"])

                // The same handle again: announced again, nothing posted to the directory.
                let posts = harness.plc.postCount
                let again = try await calls.post(IdentityUpdateRoutes.updateHandleNSID, ["handle": "alice.example.org"])
                #expect(again.status == .ok)
                #expect(harness.plc.postCount == posts)
                #expect(try await harness.eventKinds(did: alice.did).suffix(3) == ["identity", "identity", "identity"])
            }
            #expect(harness.sample("pds_account_events_total", labels: ["type": "handle_updated"]) == 3)
        }
    }

    @Test("updateHandle: 10 per 5 minutes per DID, then 429 with the RateLimit headers")
    func updateHandleRateLimit() async throws {
        try await AccountsHarness.with(rateLimits: RateLimitSettings(enabled: true)) { harness in
            try await harness.test { client in
                let alice = try await Self.signUp(client, "alice")
                let bob = try await Self.signUp(client, "bob")
                let calls = Calls(client: client, token: alice.access)
                for _ in 0..<10 {
                    let response = try await calls.post(IdentityUpdateRoutes.updateHandleNSID, ["handle": "alice.pds.example.com"])
                    #expect(response.status == .ok)
                    #expect(response.headers[RateLimiter.policyHeader] == "10;w=300")
                }
                let refused = try await calls.post(IdentityUpdateRoutes.updateHandleNSID, ["handle": "alice.pds.example.com"])
                #expect(refused.status == .tooManyRequests)
                #expect(Self.error(refused) == "RateLimitExceeded")
                #expect(refused.headers[.retryAfter] != nil)
                // Another DID has its own budget.
                let other = try await Calls(client: client, token: bob.access).post(
                    IdentityUpdateRoutes.updateHandleNSID, ["handle": "bob.pds.example.com"])
                #expect(other.status == .ok)
            }
            #expect(
                harness.sample(
                    "pds_rate_limit_rejections_total",
                    labels: ["limiter": "update-handle-5m", "route": IdentityUpdateRoutes.updateHandleNSID]) == 1)
        }
    }

    // MARK: deactivate, activate, status

    @Test("deactivateAccount, checkAccountStatus, activateAccount: events, refused writes, a fresh commit")
    func deactivateAndActivate() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let alice = try await Self.signUp(client, "alice")
                let calls = Calls(client: client, token: alice.access)
                let created = try await RepoClient(client: client, token: alice.access).create(
                    alice.did, "app.bsky.feed.post", RepoClient.post("hello"))
                #expect(created.status == .ok)

                let status = Self.object(try await calls.get(AccountLifecycleRoutes.checkStatusNSID))
                #expect(status["activated"] as? Bool == true)
                #expect(status["validDid"] as? Bool == true)
                #expect(status["indexedRecords"] as? Int == 1)
                #expect(status["privateStateValues"] as? Int == 0)
                #expect(status["expectedBlobs"] as? Int == 0)
                let head = try #require(try await harness.services.repos.head(did: alice.did))
                #expect(status["repoCommit"] as? String == head.commitCID.string)
                #expect(status["repoRev"] as? String == head.rev)

                let badDate = try await calls.post(AccountLifecycleRoutes.deactivateNSID, ["deleteAfter": "tomorrow"])
                #expect(badDate.status == .badRequest)
                let eventsBefore = try await harness.eventKinds(did: alice.did)
                let deactivated = try await calls.post(
                    AccountLifecycleRoutes.deactivateNSID, ["deleteAfter": "2030-01-01T00:00:00.000Z"])
                #expect(deactivated.status == .ok, "\(String(buffer: deactivated.body))")
                let account = try #require(try await harness.services.accounts.account(did: alice.did))
                #expect(account.deactivatedAt != nil)
                #expect(account.deleteAfter == "2030-01-01T00:00:00.000Z")
                #expect(try await harness.eventKinds(did: alice.did) == eventsBefore + ["account"])
                let refused = try await RepoClient(client: client, token: alice.access).create(
                    alice.did, "app.bsky.feed.post", RepoClient.post("while away"))
                #expect(Self.error(refused) == "AccountDeactivated")
                let deactivatedStatus = Self.object(try await calls.get(AccountLifecycleRoutes.checkStatusNSID))
                #expect(deactivatedStatus["activated"] as? Bool == false)

                let activated = try await calls.post(AccountLifecycleRoutes.activateNSID, [:])
                #expect(activated.status == .ok, "\(String(buffer: activated.body))")
                #expect(try await harness.eventKinds(did: alice.did) == eventsBefore + ["account", "account", "identity", "sync"])
                let fresh = try #require(try await harness.services.repos.head(did: alice.did))
                #expect(fresh.commitCID != head.commitCID)
                #expect(fresh.dataCID == head.dataCID)
                #expect(fresh.rev > head.rev)
                let after = try await RepoClient(client: client, token: alice.access).create(
                    alice.did, "app.bsky.feed.post", RepoClient.post("back"))
                #expect(after.status == .ok)

                // Every event checks out against the account's key: the #sync rev and the next commit chain.
                let key = try #require(try await harness.signingKey(did: alice.did)).publicKey
                var checker = FirehoseChecker(keys: [alice.did: key])
                checker.requireContiguous = false
                for frame in try await Self.frames(harness, did: alice.did) { try checker.check(frame) }
                #expect(checker.counts["#sync"] == 2)
            }
            #expect(harness.sample("pds_account_events_total", labels: ["type": "deactivated"]) == 1)
            #expect(harness.sample("pds_account_events_total", labels: ["type": "activated"]) == 1)
        }
    }

    @Test("activateAccount refuses a DID document that points elsewhere, with the reference's messages")
    func activateChecksDIDDocument() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let alice = try await Self.signUp(client, "alice")
                let calls = Calls(client: client, token: alice.access)
                _ = try await calls.post(AccountLifecycleRoutes.deactivateNSID, [:])
                // The account's signing key changes here but not in the document.
                try await harness.database.write(kind: "test") { db in
                    try db.execute(
                        sql: "UPDATE account SET signing_key = ? WHERE did = ?",
                        arguments: [Data(K256PrivateKey().rawRepresentation), alice.did])
                }
                harness.services.repos.forgetKey(did: alice.did)
                let wrongKey = try await calls.post(AccountLifecycleRoutes.activateNSID, [:])
                #expect(wrongKey.status == .badRequest)
                #expect(Self.message(wrongKey) == "DID document verification method does not match expected signing key")
                #expect(Self.object(try await calls.get(AccountLifecycleRoutes.checkStatusNSID))["validDid"] as? Bool == false)
                #expect(try await harness.services.accounts.account(did: alice.did)?.deactivatedAt != nil)

                // An app password session may not (de)activate.
                let appPassword = try await harness.services.issueSession(did: alice.did, scope: .appPass)
                let limited = try await Calls(client: client, token: appPassword.accessJwt).post(AccountLifecycleRoutes.activateNSID, [:])
                #expect(Self.error(limited) == "InvalidToken")
            }
        }
    }

    @Test("importRepo into an active account: the tree replaced, announced with a fresh commit and #sync")
    func importWhileActive() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let alice = try await Self.signUp(client, "alice")
                let calls = Calls(client: client, token: alice.access)
                let repo = RepoClient(client: client, token: alice.access)
                #expect(try await repo.create(alice.did, "app.bsky.feed.post", RepoClient.post("kept")).status == .ok)
                let snapshot = try await client.execute(uri: "/xrpc/com.atproto.sync.getRepo?did=\(alice.did)", method: .get)
                let before = try #require(try await harness.services.repos.head(did: alice.did))
                #expect(try await repo.create(alice.did, "app.bsky.feed.post", RepoClient.post("undone")).status == .ok)

                let imported = try await calls.post(
                    ImportRepoRoutes.importNSID, bytes: Array(buffer: snapshot.body), contentType: "application/vnd.ipld.car")
                #expect(imported.status == .ok, "\(String(buffer: imported.body))")
                let after = try #require(try await harness.services.repos.head(did: alice.did))
                #expect(after.dataCID == before.dataCID)
                #expect(after.commitCID != before.commitCID)
                #expect(try await harness.eventKinds(did: alice.did).last == "sync")
                let status = Self.object(try await calls.get(AccountLifecycleRoutes.checkStatusNSID))
                #expect(status["indexedRecords"] as? Int == 1)
                #expect(status["repoRev"] as? String == after.rev)

                let key = try #require(try await harness.signingKey(did: alice.did)).publicKey
                #expect(try await repo.create(alice.did, "app.bsky.feed.post", RepoClient.post("next")).status == .ok)
                var checker = FirehoseChecker(keys: [alice.did: key])
                checker.requireContiguous = false
                for frame in try await Self.frames(harness, did: alice.did) { try checker.check(frame) }
            }
        }
    }

    // MARK: importRepo input

    @Test("importRepo refuses malformed CARs, several roots, oversized bodies, other DIDs, and when imports are off")
    func importRepoErrors() async throws {
        try await AccountsHarness.with(adjust: { $0.maxRepoImportBytes = 4096 }) { harness in
            try await harness.test { client in
                let alice = try await Self.signUp(client, "alice")
                let bob = try await Self.signUp(client, "bob")
                let calls = Calls(client: client, token: alice.access)
                let car = "application/vnd.ipld.car"

                let garbage = try await calls.post(ImportRepoRoutes.importNSID, bytes: Array("not a car".utf8), contentType: car)
                #expect(garbage.status == .badRequest)
                #expect(Self.message(garbage)?.hasPrefix("Invalid CAR file") == true)
                let empty = try await calls.post(ImportRepoRoutes.importNSID, bytes: [], contentType: car)
                #expect(empty.status == .badRequest)

                let one = CARBlock(cid: CID.dagCBOR(hashing: DAGCBOR.encode(.string("a"))), bytes: DAGCBOR.encode(.string("a")))
                let two = CARBlock(cid: CID.dagCBOR(hashing: DAGCBOR.encode(.string("b"))), bytes: DAGCBOR.encode(.string("b")))
                let twoRoots = try await calls.post(
                    ImportRepoRoutes.importNSID, bytes: CARWriter.encode(roots: [one.cid, two.cid], blocks: [one, two]), contentType: car)
                #expect(Self.message(twoRoots) == "expected one root")
                let notACommit = try await calls.post(
                    ImportRepoRoutes.importNSID, bytes: CARWriter.encode(roots: [one.cid], blocks: [one]), contentType: car)
                #expect(notACommit.status == .badRequest)
                #expect(Self.message(notACommit)?.hasPrefix("Invalid commit") == true)

                // Bob's repository is not Alice's.
                let bobCAR = try await client.execute(uri: "/xrpc/com.atproto.sync.getRepo?did=\(bob.did)", method: .get)
                #expect(bobCAR.status == .ok)
                let foreign = try await calls.post(ImportRepoRoutes.importNSID, bytes: Array(buffer: bobCAR.body), contentType: car)
                #expect(Self.message(foreign) == "The repository's commit is for \(bob.did), not for \(alice.did)")

                let huge = try await calls.post(ImportRepoRoutes.importNSID, bytes: [UInt8](repeating: 1, count: 5000), contentType: car)
                #expect(huge.status == .contentTooLarge)

                let anonymous = try await Calls(client: client, token: nil).post(ImportRepoRoutes.importNSID, bytes: [1], contentType: car)
                #expect(anonymous.status == .unauthorized)
                let badCursor = try await calls.get(ImportRepoRoutes.missingBlobsNSID, "cursor=nope")
                #expect(badCursor.status == .badRequest)
                let badLimit = try await calls.get(ImportRepoRoutes.missingBlobsNSID, "limit=0")
                #expect(badLimit.status == .badRequest)
            }
        }
        try await AccountsHarness.with(adjust: { $0.acceptingRepoImports = false }) { harness in
            try await harness.test { client in
                let alice = try await Self.signUp(client, "alice")
                let refused = try await Calls(client: client, token: alice.access).post(
                    ImportRepoRoutes.importNSID, bytes: [1, 2, 3], contentType: "application/vnd.ipld.car")
                #expect(refused.status == .badRequest)
                #expect(Self.message(refused) == "Service is not accepting repo imports")
            }
        }
    }
}
