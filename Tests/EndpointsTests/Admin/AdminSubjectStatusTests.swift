import ATProto
import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

@testable import Endpoints

@Suite struct AdminSubjectStatusTests {
    typealias Server = TestServerWithServices

    @Test func accountTakedownRefusesLoginRevokesSessionsAndIsAnnounced() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let calls = AdminCalls(client: client)
                let alice = try await calls.signUp("alice")
                let response = try await calls.takedown(did: alice.did, applied: true, ref: "case-42")
                #expect(response.status == .ok)
                let echoed = AdminCalls.object(response)
                #expect((echoed["subject"] as? [String: Any])?["did"] as? String == alice.did)
                #expect((echoed["takedown"] as? [String: Any])?["ref"] as? String == "case-42")

                let status = AdminCalls.object(try await calls.get("com.atproto.admin.getSubjectStatus", "did=\(alice.did)"))
                #expect((status["subject"] as? [String: Any])?["$type"] as? String == "com.atproto.admin.defs#repoRef")
                #expect((status["takedown"] as? [String: Any])?["applied"] as? Bool == true)
                #expect((status["takedown"] as? [String: Any])?["ref"] as? String == "case-42")
                #expect((status["deactivated"] as? [String: Any])?["applied"] as? Bool == false)

                let login = try await AdminAccountRoutesTests.login(calls, "alice.pds.example.com", "correct horse")
                #expect(login.status == .unauthorized)
                #expect(AdminCalls.error(login) == "AccountTakedown")
                // Its access token no longer writes (getSession still answers, as the reference allows).
                let write = try await RepoClient(client: client, token: alice.access).create(
                    alice.did, "app.bsky.feed.post", RepoClient.post("still here?"))
                #expect(write.status == .unauthorized)
                #expect(AdminCalls.error(write) == "AccountTakedown")
                let refresh = try await AdminAccountRoutesTests.refresh(calls, alice.refresh)
                #expect(refresh.status != .ok)
                let describe = try await client.execute(
                    uri: "/xrpc/com.atproto.repo.describeRepo?repo=\(alice.did)", method: .get)
                #expect(AdminCalls.error(describe) == "RepoTakendown")

                var last = try #require(try await harness.events(did: alice.did).last)
                #expect(last.type == "#account")
                #expect(last.body["active"]?.boolValue == false)
                #expect(last.body["status"]?.stringValue == "takendown")
                #expect(harness.sample("pds_accounts", labels: ["status": "takendown"]) == 1)
                #expect(harness.sample("pds_accounts", labels: ["status": "active"]) == 0)

                // Lifting it: login works again and the account is announced active.
                #expect(try await calls.takedown(did: alice.did, applied: false).status == .ok)
                #expect(try await AdminAccountRoutesTests.login(calls, alice.did, "correct horse").status == .ok)
                last = try #require(try await harness.events(did: alice.did).last)
                #expect(last.type == "#account")
                #expect(last.body["active"]?.boolValue == true)
                #expect(last.body["status"] == nil)
                let lifted = AdminCalls.object(try await calls.get("com.atproto.admin.getSubjectStatus", "did=\(alice.did)"))
                #expect((lifted["takedown"] as? [String: Any])?["applied"] as? Bool == false)
                #expect(harness.sample("pds_accounts", labels: ["status": "active"]) == 1)

                // Without takedown or deactivated, the status is announced again.
                let before = try await harness.events(did: alice.did).count
                let again = try await calls.post(
                    "com.atproto.admin.updateSubjectStatus", ["subject": ["$type": "com.atproto.admin.defs#repoRef", "did": alice.did]])
                #expect(again.status == .ok)
                #expect(try await harness.events(did: alice.did).count == before + 1)

                let unknown = try await calls.takedown(did: "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", applied: true)
                #expect(AdminCalls.error(unknown) == "NotFound")
                let contradictory = try await calls.post(
                    "com.atproto.admin.updateSubjectStatus",
                    [
                        "subject": ["$type": "com.atproto.admin.defs#repoRef", "did": alice.did],
                        "takedown": ["applied": true], "deactivated": ["applied": false],
                    ])
                #expect(contradictory.status == .badRequest)
                let badType = try await calls.post(
                    "com.atproto.admin.updateSubjectStatus", ["subject": ["$type": "com.example.thing", "did": alice.did]])
                #expect(badType.status == .badRequest)
                let noSubject = try await calls.post("com.atproto.admin.updateSubjectStatus", ["takedown": ["applied": true]])
                #expect(noSubject.status == .badRequest)
                let getNone = try await calls.get("com.atproto.admin.getSubjectStatus")
                #expect(getNone.status == .badRequest)
                let getUnknown = try await calls.get("com.atproto.admin.getSubjectStatus", "did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
                #expect(AdminCalls.error(getUnknown) == "NotFound")
            }
            #expect(harness.sample("pds_account_events_total", labels: ["type": "takendown"]) == 1)
            #expect(harness.sample("pds_account_events_total", labels: ["type": "untakendown"]) == 1)
        }
    }

    @Test func deactivationAndReactivationAreAnnounced() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let calls = AdminCalls(client: client)
                let alice = try await calls.signUp("alice")
                let subject: [String: Any] = ["$type": "com.atproto.admin.defs#repoRef", "did": alice.did]
                let off = try await calls.post("com.atproto.admin.updateSubjectStatus", ["subject": subject, "deactivated": ["applied": true]])
                #expect(off.status == .ok)
                var last = try #require(try await harness.events(did: alice.did).last)
                #expect(last.body["status"]?.stringValue == "deactivated")
                let status = AdminCalls.object(try await calls.get("com.atproto.admin.getSubjectStatus", "did=\(alice.did)"))
                #expect((status["deactivated"] as? [String: Any])?["applied"] as? Bool == true)

                let before = try await harness.events(did: alice.did).count
                let on = try await calls.post("com.atproto.admin.updateSubjectStatus", ["subject": subject, "deactivated": ["applied": false]])
                #expect(on.status == .ok)
                let events = try await harness.events(did: alice.did)
                #expect(events.dropFirst(before).map(\.type) == ["#account", "#identity", "#sync"])
                last = try #require(events.last)
                let head = try await harness.services.repos.head(did: alice.did)
                #expect(last.body["rev"]?.stringValue == head?.rev)
            }
        }
    }

    @Test func recordTakedownHidesTheRecord() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let calls = AdminCalls(client: client)
                let alice = try await calls.signUp("alice")
                let repo = RepoClient(client: client, token: alice.access)
                let created = AdminCalls.object(try await repo.create(alice.did, "app.bsky.feed.post", RepoClient.post("hi")))
                let uri = try #require(created["uri"] as? String)
                let cid = try #require(created["cid"] as? String)
                let rkey = try #require(uri.split(separator: "/").last)
                let subject: [String: Any] = ["$type": "com.atproto.repo.strongRef", "uri": uri, "cid": cid]
                let getRecordQuery = "repo=\(alice.did)&collection=app.bsky.feed.post&rkey=\(rkey)"

                #expect(try await repo.get("com.atproto.repo.getRecord", getRecordQuery).status == .ok)
                let down = try await calls.post("com.atproto.admin.updateSubjectStatus", ["subject": subject, "takedown": ["applied": true]])
                #expect(down.status == .ok)
                let hidden = try await repo.get("com.atproto.repo.getRecord", getRecordQuery)
                #expect(AdminCalls.error(hidden) == "RecordNotFound")
                let list = AdminCalls.object(try await repo.get("com.atproto.repo.listRecords", "repo=\(alice.did)&collection=app.bsky.feed.post"))
                #expect((list["records"] as? [Any])?.isEmpty == true)
                let status = AdminCalls.object(try await calls.get("com.atproto.admin.getSubjectStatus", "uri=\(uri)"))
                #expect((status["subject"] as? [String: Any])?["cid"] as? String == cid)
                #expect((status["takedown"] as? [String: Any])?["applied"] as? Bool == true)
                #expect((status["takedown"] as? [String: Any])?["ref"] as? String != nil)

                let up = try await calls.post("com.atproto.admin.updateSubjectStatus", ["subject": subject, "takedown": ["applied": false]])
                #expect(up.status == .ok)
                #expect(try await repo.get("com.atproto.repo.getRecord", getRecordQuery).status == .ok)

                let missing = try await calls.post(
                    "com.atproto.admin.updateSubjectStatus",
                    ["subject": ["$type": "com.atproto.repo.strongRef", "uri": uri + "x", "cid": cid], "takedown": ["applied": true]])
                #expect(AdminCalls.error(missing) == "NotFound")
                let badURI = try await calls.get("com.atproto.admin.getSubjectStatus", "uri=nope")
                #expect(badURI.status == .badRequest)
                let unknownURI = try await calls.get("com.atproto.admin.getSubjectStatus", "uri=\(uri)x")
                #expect(AdminCalls.error(unknownURI) == "NotFound")
            }
        }
    }

    @Test func blobTakedownQuarantinesTheFile() async throws {
        try await AccountsHarness.with(withBlobs: true) { harness in
            try await harness.test { client in
                let calls = AdminCalls(client: client)
                let alice = try await calls.signUp("alice")
                let store = try #require(harness.blobs)
                let uploaded = try await BlobUploadTests.upload(client, token: alice.access, bytes: BlobUploadTests.png)
                let blob = try #require(AdminCalls.object(uploaded)["blob"] as? [String: Any])
                let link = try #require((blob["ref"] as? [String: Any])?["$link"] as? String)
                let cid = try CID(string: link)
                let subject: [String: Any] = ["$type": "com.atproto.admin.defs#repoBlobRef", "did": alice.did, "cid": link]

                let down = try await calls.post("com.atproto.admin.updateSubjectStatus", ["subject": subject, "takedown": ["applied": true]])
                #expect(down.status == .ok)
                #expect(try await store.contents(did: alice.did, cid: cid) == nil)
                let quarantined = store.root.appendingPathComponent("quarantine/\(alice.did)/\(link)").path
                #expect(FileManager.default.fileExists(atPath: quarantined))
                let status = AdminCalls.object(try await calls.get("com.atproto.admin.getSubjectStatus", "did=\(alice.did)&blob=\(link)"))
                #expect((status["takedown"] as? [String: Any])?["applied"] as? Bool == true)
                // The same bytes cannot be uploaded again while taken down.
                let again = try await BlobUploadTests.upload(client, token: alice.access, bytes: BlobUploadTests.png)
                #expect(again.status == .badRequest)
                #expect(AdminCalls.error(again) == "BlobNotFound")
                #expect(try await store.contents(did: alice.did, cid: cid) == nil)
                // Nor can a new record reference it.
                var post = RepoClient.post("pic")
                post["embed"] = ["$type": "app.bsky.embed.images", "images": [["image": blob, "alt": ""]]]
                let referencing = try await RepoClient(client: client, token: alice.access).create(alice.did, "app.bsky.feed.post", post)
                #expect(AdminCalls.error(referencing) == "BlobNotFound")

                let up = try await calls.post("com.atproto.admin.updateSubjectStatus", ["subject": subject, "takedown": ["applied": false]])
                #expect(up.status == .ok)
                #expect(try await store.contents(did: alice.did, cid: cid) == BlobUploadTests.png)
                #expect(!FileManager.default.fileExists(atPath: quarantined))

                let noDID = try await calls.get("com.atproto.admin.getSubjectStatus", "blob=\(link)")
                #expect(noDID.status == .badRequest)
                let badCID = try await calls.get("com.atproto.admin.getSubjectStatus", "did=\(alice.did)&blob=nope")
                #expect(badCID.status == .badRequest)
                let other = CID.raw(hashing: [1, 2, 3]).string
                let unknown = try await calls.post(
                    "com.atproto.admin.updateSubjectStatus",
                    ["subject": ["$type": "com.atproto.admin.defs#repoBlobRef", "did": alice.did, "cid": other], "takedown": ["applied": true]])
                #expect(AdminCalls.error(unknown) == "NotFound")
            }
        }
    }
}
