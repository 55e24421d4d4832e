import ATProto
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

@testable import Endpoints

@Suite struct AdminAccountRoutesTests {
    typealias Server = TestServerWithServices

    static func login(_ calls: AdminCalls, _ identifier: String, _ password: String) async throws -> TestResponse {
        try await calls.post(
            "com.atproto.server.createSession", ["identifier": identifier, "password": password], headers: [:])
    }

    static func refresh(_ calls: AdminCalls, _ token: String) async throws -> TestResponse {
        try await calls.client.execute(
            uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Server.bearer(token))
    }

    @Test func accountInfoShowsInvitesAndErrors() async throws {
        try await AccountsHarness.with(inviteRequired: true) { harness in
            try await harness.test { client in
                let calls = AdminCalls(client: client)
                let code = try await calls.inviteCode()
                let alice = try await calls.signUp("alice", inviteCode: code)
                _ = try await calls.post(
                    "com.atproto.server.createInviteCodes", ["useCount": 2, "codeCount": 2, "forAccounts": [alice.did]])

                let info = AdminCalls.object(try await calls.get("com.atproto.admin.getAccountInfo", "did=\(alice.did)"))
                #expect(info["did"] as? String == alice.did)
                #expect(info["handle"] as? String == "alice.pds.example.com")
                #expect(info["email"] as? String == "alice@example.com")
                #expect(info["indexedAt"] as? String != nil)
                #expect(info["invitesDisabled"] as? Bool == false)
                #expect((info["invitedBy"] as? [String: Any])?["code"] as? String == code)
                #expect((info["invites"] as? [[String: Any]])?.count == 2)
                #expect(info["status"] == nil)

                let unknown = try await calls.get("com.atproto.admin.getAccountInfo", "did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
                #expect(unknown.status == .badRequest)
                #expect(AdminCalls.error(unknown) == "NotFound")
                let invalid = try await calls.get("com.atproto.admin.getAccountInfo", "did=alice")
                #expect(invalid.status == .badRequest)
                #expect(AdminCalls.error(invalid) == "InvalidRequest")
                let missing = try await calls.get("com.atproto.admin.getAccountInfo")
                #expect(missing.status == .badRequest)

                let bob = try await calls.signUp("bob", inviteCode: try await calls.inviteCode())
                let infos = AdminCalls.object(
                    try await calls.get(
                        "com.atproto.admin.getAccountInfos",
                        "dids=\(bob.did)&dids=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa&dids=\(alice.did)"))
                #expect((infos["infos"] as? [[String: Any]])?.compactMap { $0["did"] as? String } == [bob.did, alice.did])
                let none = try await calls.get("com.atproto.admin.getAccountInfos")
                #expect(none.status == .badRequest)
                let bad = try await calls.get("com.atproto.admin.getAccountInfos", "dids=nope")
                #expect(bad.status == .badRequest)

                // The operator listing pages through every account in DID order.
                var listed: [String] = []
                var cursor: String?
                repeat {
                    let page = AdminCalls.object(
                        try await calls.get("com.swiftpds.admin.listAccounts", "limit=1" + (cursor.map { "&cursor=\($0)" } ?? "")))
                    listed += (page["accounts"] as? [[String: Any]] ?? []).compactMap { $0["did"] as? String }
                    cursor = page["cursor"] as? String
                } while cursor != nil
                #expect(listed == [alice.did, bob.did].sorted())
                #expect(try await calls.get("com.swiftpds.admin.listAccounts", "limit=0").status == .badRequest)
                #expect(try await calls.get("com.swiftpds.admin.listAccounts", "cursor=x").status == .badRequest)
            }
        }
    }

    @Test func deleteAccountRemovesEverythingAndLeavesOneDeletedEvent() async throws {
        try await AccountsHarness.with(withBlobs: true) { harness in
            try await harness.test { client in
                let calls = AdminCalls(client: client)
                let alice = try await calls.signUp("alice")
                let bob = try await calls.signUp("bob")
                let repo = RepoClient(client: client, token: alice.access)
                let blobResponse = try await BlobUploadTests.upload(client, token: alice.access, bytes: BlobUploadTests.png)
                let blob = try #require(AdminCalls.object(blobResponse)["blob"] as? [String: Any])
                let cid = try CID(string: try #require((blob["ref"] as? [String: Any])?["$link"] as? String))
                var post = RepoClient.post("with image")
                post["embed"] = ["$type": "app.bsky.embed.images", "images": [["image": blob, "alt": ""]]]
                #expect(try await repo.create(alice.did, "app.bsky.feed.post", post).status == .ok)
                #expect(try await harness.blobs?.contents(did: alice.did, cid: cid) != nil)

                let response = try await calls.post("com.atproto.admin.deleteAccount", ["did": alice.did])
                #expect(response.status == .ok)

                for table in ["account", "repo_root", "repo_block", "record", "blob", "record_blob", "refresh_token"] {
                    let count = try await harness.database.read(kind: "test") { db in
                        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE did = ?", arguments: [alice.did]) ?? -1
                    }
                    #expect(count == 0, "\(table)")
                }
                #expect(try await harness.blobs?.contents(did: alice.did, cid: cid) == nil)
                let events = try await harness.events(did: alice.did)
                #expect(events.count == 1)
                #expect(events.first?.type == "#account")
                #expect(events.first?.body["active"]?.boolValue == false)
                #expect(events.first?.body["status"]?.stringValue == "deleted")
                // Bob is untouched.
                #expect(try await harness.events(did: bob.did).count == 4)

                let info = try await calls.get("com.atproto.admin.getAccountInfo", "did=\(alice.did)")
                #expect(AdminCalls.error(info) == "NotFound")
                let again = try await calls.post("com.atproto.admin.deleteAccount", ["did": alice.did])
                #expect(again.status == .badRequest)
                #expect(AdminCalls.error(again) == "NotFound")
                let invalid = try await calls.post("com.atproto.admin.deleteAccount", ["did": "alice"])
                #expect(invalid.status == .badRequest)
                let noBody = try await calls.post("com.atproto.admin.deleteAccount", [:])
                #expect(noBody.status == .badRequest)
                // The old access token is refused: the account is gone.
                let session = try await client.execute(
                    uri: "/xrpc/com.atproto.server.getSession", method: .get, headers: Server.bearer(alice.access))
                #expect(session.status == .forbidden)
                #expect(AdminCalls.error(session) == "AccountNotFound")
            }
            #expect(harness.sample("pds_account_events_total", labels: ["type": "deleted"]) == 1)
            #expect(harness.sample("pds_accounts", labels: ["status": "active"]) == 1)
        }
    }

    @Test func updateEmailByHandleOrDID() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let calls = AdminCalls(client: client)
                let alice = try await calls.signUp("alice")
                _ = try await calls.signUp("bob")
                let byHandle = try await calls.post(
                    "com.atproto.admin.updateAccountEmail", ["account": "alice.pds.example.com", "email": "New@Example.com"])
                #expect(byHandle.status == .ok)
                #expect(try await harness.services.accounts.account(did: alice.did)?.email == "new@example.com")
                let byDID = try await calls.post("com.atproto.admin.updateAccountEmail", ["account": alice.did, "email": "a2@example.com"])
                #expect(byDID.status == .ok)
                #expect(try await harness.services.accounts.account(did: alice.did)?.email == "a2@example.com")

                let taken = try await calls.post("com.atproto.admin.updateAccountEmail", ["account": alice.did, "email": "bob@example.com"])
                #expect(taken.status == .badRequest)
                #expect(AdminCalls.error(taken) == "InvalidEmail")
                let invalid = try await calls.post("com.atproto.admin.updateAccountEmail", ["account": alice.did, "email": "nope"])
                #expect(invalid.status == .badRequest)
                let unknown = try await calls.post(
                    "com.atproto.admin.updateAccountEmail", ["account": "carol.pds.example.com", "email": "c@example.com"])
                #expect(unknown.status == .badRequest)
                #expect(AdminCalls.error(unknown) == "NotFound")
                let malformed = try await calls.post("com.atproto.admin.updateAccountEmail", ["account": "not an id", "email": "c@example.com"])
                #expect(malformed.status == .badRequest)
            }
        }
    }

    @Test func updateHandleChangesPLCAndAnnouncesIdentity() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let calls = AdminCalls(client: client)
                let alice = try await calls.signUp("alice")
                _ = try await calls.signUp("bob")
                let response = try await calls.post(
                    "com.atproto.admin.updateAccountHandle", ["did": alice.did, "handle": "Alicia.pds.example.com"])
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                #expect(try await harness.services.accounts.account(did: alice.did)?.handle == "alicia.pds.example.com")
                let operations = harness.plc.operations(did: alice.did)
                #expect(operations.count == 2)
                #expect(operations.last?.operation.handle == "alicia.pds.example.com")
                #expect(operations.last?.operation.prev == operations.first?.cid().string)
                let last = try #require(try await harness.events(did: alice.did).last)
                #expect(last.type == "#identity")
                #expect(last.body["handle"]?.stringValue == "alicia.pds.example.com")

                // An admin may hand out a reserved name.
                let reserved = try await calls.post("com.atproto.admin.updateAccountHandle", ["did": alice.did, "handle": "admin.pds.example.com"])
                #expect(reserved.status == .ok)

                let taken = try await calls.post("com.atproto.admin.updateAccountHandle", ["did": alice.did, "handle": "bob.pds.example.com"])
                #expect(taken.status == .badRequest)
                #expect(AdminCalls.error(taken) == "HandleNotAvailable")
                let invalid = try await calls.post("com.atproto.admin.updateAccountHandle", ["did": alice.did, "handle": "a.b.pds.example.com"])
                #expect(AdminCalls.error(invalid) == "InvalidHandle")
                // A handle outside the service domains must resolve to the DID.
                let foreign = try await calls.post("com.atproto.admin.updateAccountHandle", ["did": alice.did, "handle": "alice.example.org"])
                #expect(foreign.status == .badRequest)
                #expect(AdminCalls.error(foreign) == "InvalidRequest")
                #expect(AdminCalls.object(foreign)["message"] as? String == "External handle did not resolve to DID")
                #expect(try await harness.services.accounts.account(did: alice.did)?.handle == "admin.pds.example.com")
                let unknown = try await calls.post(
                    "com.atproto.admin.updateAccountHandle", ["did": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", "handle": "zed.pds.example.com"])
                #expect(AdminCalls.error(unknown) == "NotFound")

                // A directory that refuses the operation leaves the handle as it was.
                harness.plc.mode = .refusing
                let refused = try await calls.post("com.atproto.admin.updateAccountHandle", ["did": alice.did, "handle": "alice2.pds.example.com"])
                #expect(refused.status == .badGateway)
                #expect(AdminCalls.error(refused) == "UpstreamFailure")
                #expect(try await harness.services.accounts.account(did: alice.did)?.handle == "admin.pds.example.com")
            }
        }
    }

    @Test func updateHandleToAnExternalHandleThatResolvesToTheDID() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let calls = AdminCalls(client: client)
                let alice = try await calls.signUp("alice")
                let bob = try await calls.signUp("bob")
                harness.foreignTXT.set("_atproto.alice.example.org", ["did=\(alice.did)"])
                let response = try await calls.post(
                    "com.atproto.admin.updateAccountHandle", ["did": alice.did, "handle": "Alice.Example.org"])
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                #expect(try await harness.services.accounts.account(did: alice.did)?.handle == "alice.example.org")
                #expect(harness.plc.operations(did: alice.did).last?.operation.handle == "alice.example.org")
                let last = try #require(try await harness.events(did: alice.did).last)
                #expect(last.type == "#identity")
                #expect(last.body["handle"]?.stringValue == "alice.example.org")

                // The same handle for another DID does not resolve to it.
                let other = try await calls.post(
                    "com.atproto.admin.updateAccountHandle", ["did": bob.did, "handle": "alice.example.org"])
                #expect(AdminCalls.object(other)["message"] as? String == "External handle did not resolve to DID")
                #expect(try await harness.services.accounts.account(did: bob.did)?.handle == "bob.pds.example.com")
                // A disallowed TLD is refused before any lookup.
                let local = try await calls.post(
                    "com.atproto.admin.updateAccountHandle", ["did": alice.did, "handle": "alice.example.local"])
                #expect(AdminCalls.error(local) == "InvalidHandle")
            }
        }
    }

    @Test func updatePasswordRevokesSessions() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let calls = AdminCalls(client: client)
                let alice = try await calls.signUp("alice")
                let response = try await calls.post(
                    "com.atproto.admin.updateAccountPassword", ["did": alice.did, "password": "a new password"])
                #expect(response.status == .ok)
                #expect(try await Self.refresh(calls, alice.refresh).status != .ok)
                #expect(try await Self.login(calls, alice.did, "correct horse").status == .unauthorized)
                #expect(try await Self.login(calls, alice.did, "a new password").status == .ok)

                let empty = try await calls.post("com.atproto.admin.updateAccountPassword", ["did": alice.did, "password": ""])
                #expect(AdminCalls.error(empty) == "InvalidPassword")
                let long = try await calls.post(
                    "com.atproto.admin.updateAccountPassword", ["did": alice.did, "password": String(repeating: "x", count: 257)])
                #expect(AdminCalls.error(long) == "InvalidPassword")
                let unknown = try await calls.post(
                    "com.atproto.admin.updateAccountPassword", ["did": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", "password": "x"])
                #expect(AdminCalls.error(unknown) == "NotFound")
            }
            #expect(harness.sample("pds_account_events_total", labels: ["type": "password_updated"]) == 1)
        }
    }
}
