import ATProto
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

/// The whole account migration (PDS-REFERENCE §5.4) between two live servers with their own data folders and
/// one PLC directory: A (`pds-a.example.com`) is the old home, B (`pds-b.example.com`) the new one.
@Suite("Account migration between two servers")
struct LiveMigrationTests {
    typealias Calls = AccountLifecycleTests.Calls
    static let car = "application/vnd.ipld.car"
    static let collection = "com.example.migration.item"

    static func object(_ response: TestResponse) -> [String: Any] { AccountsHarness.object(response) }

    static func rkey(_ response: TestResponse) throws -> String {
        let uri = try #require(object(response)["uri"] as? String)
        return String(uri.split(separator: "/").last!)
    }

    @Test("live: service auth, createAccount, getRepo → importRepo, blobs, PLC operation, activate on B, deactivate on A")
    func migrate() async throws {
        try await AccountsHarness.with(withBlobs: true, hostname: "pds-a.example.com") { a in
            try await AccountsHarness.with(plcURL: a.plc.url, withBlobs: true, hostname: "pds-b.example.com") { b in
                try await a.test(.live) { clientA in
                    try await b.test(.live) { clientB in
                        try await Self.run(a: a, clientA: clientA, b: b, clientB: clientB)
                    }
                }
            }
        }
    }

    static func run(a: AccountsHarness, clientA: any TestClientProtocol, b: AccountsHarness, clientB: any TestClientProtocol) async throws {
        // On A: an account with posts and a record that names an uploaded blob.
        let alice = try await AccountLifecycleTests.signUp(clientA, "alice", domain: "pds-a.example.com")
        let onA = Calls(client: clientA, token: alice.access)
        let repoA = RepoClient(client: clientA, token: alice.access)
        let blobBytes = Array("the bytes of a blob that moves along".utf8)
        let uploaded = try await onA.post("com.atproto.repo.uploadBlob", bytes: blobBytes, contentType: "text/plain")
        #expect(uploaded.status == .ok)
        let blob = try #require(object(uploaded)["blob"] as? [String: Any])
        let blobCID = try #require((blob["ref"] as? [String: Any])?["$link"] as? String)
        var rkeys: [String] = []
        for text in ["one", "two", "three"] {
            let created = try await repoA.create(alice.did, "app.bsky.feed.post", RepoClient.post(text))
            #expect(created.status == .ok)
            rkeys.append(try rkey(created))
        }
        let item = try await repoA.create(alice.did, collection, ["$type": collection, "file": blob], validate: false)
        #expect(item.status == .ok, "\(String(buffer: item.body))")
        let itemRkey = try rkey(item)

        // 1. A service token from A for B; 2. the account on B, deactivated.
        let token = try await AccountMigrationTests.serviceToken(clientA, access: alice.access, aud: b.settings.serviceDID)
        let createdOnB = try await AccountMigrationTests.createAccount(
            clientB, AccountsHarness.input("alice", ["did": alice.did, "handle": "alice.pds-b.example.com"]), token: token)
        #expect(createdOnB.status == .ok, "\(String(buffer: createdOnB.body))")
        let onB = Calls(client: clientB, token: try #require(object(createdOnB)["accessJwt"] as? String))
        let tooEarly = try await onB.post(AccountLifecycleRoutes.activateNSID, [:])
        #expect(tooEarly.status == .badRequest)
        #expect(object(tooEarly)["message"] as? String == "Server rotation key not included in PLC DID data")

        // 3. The repository: getRepo on A, importRepo on B; no event while deactivated.
        let exported = try await clientA.execute(uri: "/xrpc/com.atproto.sync.getRepo?did=\(alice.did)", method: .get)
        #expect(exported.status == .ok)
        let imported = try await onB.post(ImportRepoRoutes.importNSID, bytes: Array(buffer: exported.body), contentType: car)
        #expect(imported.status == .ok, "\(String(buffer: imported.body))")
        #expect(try await b.eventKinds(did: alice.did) == [])
        let headA = try #require(try await a.services.repos.head(did: alice.did))
        var status = object(try await onB.get(AccountLifecycleRoutes.checkStatusNSID))
        #expect(status["activated"] as? Bool == false)
        #expect(status["validDid"] as? Bool == false)
        #expect(status["repoCommit"] as? String == headA.commitCID.string)
        #expect(status["repoRev"] as? String == headA.rev)
        #expect(status["indexedRecords"] as? Int == 4)
        #expect(status["expectedBlobs"] as? Int == 1)
        #expect(status["importedBlobs"] as? Int == 0)

        // 4. The blobs B misses, fetched from A and uploaded to B.
        let missing = object(try await onB.get(ImportRepoRoutes.missingBlobsNSID))
        let missingBlobs = try #require(missing["blobs"] as? [[String: Any]])
        #expect(missingBlobs.count == 1)
        #expect(missingBlobs.first?["cid"] as? String == blobCID)
        #expect(missingBlobs.first?["recordUri"] as? String == "at://\(alice.did)/\(collection)/\(itemRkey)")
        #expect(missing["cursor"] == nil)
        let fetched = try await clientA.execute(
            uri: "/xrpc/com.atproto.sync.getBlob?did=\(alice.did)&cid=\(blobCID)", method: .get)
        #expect(fetched.status == .ok)
        let reuploaded = try await onB.post("com.atproto.repo.uploadBlob", bytes: Array(buffer: fetched.body), contentType: "text/plain")
        #expect(((object(reuploaded)["blob"] as? [String: Any])?["ref"] as? [String: Any])?["$link"] as? String == blobCID)
        #expect((object(try await onB.get(ImportRepoRoutes.missingBlobsNSID))["blobs"] as? [Any])?.isEmpty == true)
        let temporary = try await b.database.read(kind: "test") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM blob WHERE did = ? AND temp_key IS NOT NULL", arguments: [alice.did])
        }
        #expect(temporary == 0)

        // Changes on A meanwhile, imported again: the diff deletes, creates and keeps the rest.
        let deleted = try await repoA.post(
            "com.atproto.repo.deleteRecord", ["repo": alice.did, "collection": "app.bsky.feed.post", "rkey": rkeys[0]])
        #expect(deleted.status == .ok)
        let late = try await repoA.create(alice.did, "app.bsky.feed.post", RepoClient.post("four"))
        let lateRkey = try rkey(late)
        let exportedAgain = try await clientA.execute(uri: "/xrpc/com.atproto.sync.getRepo?did=\(alice.did)", method: .get)
        let importedAgain = try await onB.post(ImportRepoRoutes.importNSID, bytes: Array(buffer: exportedAgain.body), contentType: car)
        #expect(importedAgain.status == .ok, "\(String(buffer: importedAgain.body))")
        status = object(try await onB.get(AccountLifecycleRoutes.checkStatusNSID))
        #expect(status["indexedRecords"] as? Int == 4)
        #expect(status["importedBlobs"] as? Int == 1)
        #expect(try await b.services.repos.record(did: alice.did, collection: "app.bsky.feed.post", rkey: rkeys[0]) == nil)
        #expect(try await b.services.repos.record(did: alice.did, collection: "app.bsky.feed.post", rkey: lateRkey) != nil)

        // 6. The DID document: B's recommended credentials, signed by a rotation key the DID already has (A's),
        // posted through B.
        let credentials = object(try await onB.get(IdentityUpdateRoutes.recommendedCredentialsNSID))
        let rotationKeys = try #require(credentials["rotationKeys"] as? [String])
        #expect(rotationKeys == [b.rotationKey.publicKey.didKey])
        let signingKeyB = try #require(try await b.signingKey(did: alice.did))
        #expect((credentials["verificationMethods"] as? [String: String])?["atproto"] == signingKeyB.publicKey.didKey)
        #expect(credentials["alsoKnownAs"] as? [String] == ["at://alice.pds-b.example.com"])
        let service = (credentials["services"] as? [String: [String: String]])?["atproto_pds"]
        #expect(service == ["type": "AtprotoPersonalDataServer", "endpoint": "https://pds-b.example.com"])

        let previous = try #require(a.plc.operations(did: alice.did).last)
        let operation = PLCOperation(
            atprotoSigningKey: signingKeyB.publicKey.didKey, rotationKeys: rotationKeys, handle: "alice.pds-b.example.com",
            pdsEndpoint: "https://pds-b.example.com", prev: previous.cid().string)
        var withoutB = operation
        withoutB.rotationKeys = [a.rotationKey.publicKey.didKey]
        let refused = try await onB.post(
            IdentityUpdateRoutes.submitPLCOperationNSID, ["operation": try withoutB.signed(with: a.rotationKey).jsonObject()])
        #expect(object(refused)["message"] as? String == "Rotation keys do not include server's rotation key")
        let unsigned = try await onB.post(IdentityUpdateRoutes.submitPLCOperationNSID, ["operation": ["type": "plc_operation"]])
        #expect(object(unsigned)["message"] as? String == "Invalid operation")
        let submitted = try await onB.post(
            IdentityUpdateRoutes.submitPLCOperationNSID, ["operation": try operation.signed(with: a.rotationKey).jsonObject()])
        #expect(submitted.status == .ok, "\(String(buffer: submitted.body))")
        #expect(a.plc.operations(did: alice.did).last?.operation.pdsEndpoint == "https://pds-b.example.com")

        // 7. Activate on B, deactivate on A.
        #expect(object(try await onB.get(AccountLifecycleRoutes.checkStatusNSID))["validDid"] as? Bool == true)
        let activated = try await onB.post(AccountLifecycleRoutes.activateNSID, [:])
        #expect(activated.status == .ok, "\(String(buffer: activated.body))")
        let deactivatedOnA = try await onA.post(AccountLifecycleRoutes.deactivateNSID, [:])
        #expect(deactivatedOnA.status == .ok)
        #expect(try await a.eventKinds(did: alice.did).last == "account")
        #expect(try await a.services.accounts.account(did: alice.did)?.deactivatedAt != nil)

        // B's firehose: the table's events, the #sync carrying a fresh commit signed with B's key.
        #expect(try await b.eventKinds(did: alice.did) == ["identity", "account", "identity", "sync"])
        let frames = try await AccountLifecycleTests.frames(b, did: alice.did)
        let sync = try FirehoseChecker.decode(try #require(frames.last))
        var reader = CARReader()
        let blocks = try reader.feed(try #require(sync.body["blocks"]?.bytesValue))
        let commit = try Commit(block: try #require(blocks.first).bytes)
        #expect(commit.verifySignature(with: signingKeyB.publicKey))
        let headB = try #require(try await b.services.repos.head(did: alice.did))
        #expect(commit.did == alice.did)
        #expect(commit.data == headB.dataCID)
        #expect(sync.body["rev"]?.stringValue == headB.rev)
        let latestA = try #require(try await a.services.repos.head(did: alice.did))
        #expect(headB.dataCID == latestA.dataCID)

        // The records read back on B, and B takes new writes that chain on the fresh commit.
        let item2 = try await clientB.execute(
            uri: "/xrpc/com.atproto.repo.getRecord?repo=\(alice.did)&collection=\(collection)&rkey=\(itemRkey)", method: .get)
        #expect(item2.status == .ok)
        #expect(object(item2)["cid"] as? String == object(item)["cid"] as? String)
        let listed = try await clientB.execute(
            uri: "/xrpc/com.atproto.repo.listRecords?repo=\(alice.did)&collection=app.bsky.feed.post", method: .get)
        #expect((object(listed)["records"] as? [Any])?.count == 3)
        let written = try await RepoClient(client: clientB, token: onB.token).create(alice.did, "app.bsky.feed.post", RepoClient.post("hello from B"))
        #expect(written.status == .ok, "\(String(buffer: written.body))")
        var checker = FirehoseChecker(keys: [alice.did: signingKeyB.publicKey])
        checker.requireContiguous = false
        for frame in try await AccountLifecycleTests.frames(b, did: alice.did) { try checker.check(frame) }
        #expect(checker.counts["#commit"] == 1)
        #expect(b.sample("pds_account_events_total", labels: ["type": "repo_imported"]) == 2)
        #expect(b.sample("pds_account_events_total", labels: ["type": "plc_operation_submitted"]) == 1)
    }
}
