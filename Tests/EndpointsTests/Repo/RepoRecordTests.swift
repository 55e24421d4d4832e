import ATProto
import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

@testable import Endpoints

@Suite struct RepoRecordTests {
    typealias Server = TestServerWithServices
    static let post = "app.bsky.feed.post"
    static let letters = Array("bcdefgh")

    @Test func createGetListDescribeDelete() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let token = try await server.issueSession(did: alice.did).accessJwt
        try await server.test { client in
            let repo = RepoClient(client: client, token: token)
            let created = try await repo.create(alice.did, Self.post, RepoClient.post("hello"))
            #expect(created.status == .ok)
            let body = try json(created)
            let uri = try #require(body["uri"] as? String)
            #expect(uri.hasPrefix("at://\(alice.did)/\(Self.post)/"))
            let rkey = String(uri.split(separator: "/").last ?? "")
            #expect((try? TID(rkey)) != nil)
            let cid = try #require(body["cid"] as? String)
            #expect(body["validationStatus"] as? String == "valid")
            let commit = try #require(body["commit"] as? [String: Any])
            let head = try #require(try await server.services.repos.head(did: alice.did))
            #expect(commit["cid"] as? String == head.commitCID.string)
            #expect(commit["rev"] as? String == head.rev)

            // By handle, the $type filled in when absent, an unknown collection reported as such.
            let named = try await repo.create(
                "alice.pds.example.com", "com.example.thing", ["n": 1], rkey: "self")
            #expect(named.status == .ok)
            #expect(try json(named)["validationStatus"] as? String == "unknown")
            #expect(try json(named)["uri"] as? String == "at://\(alice.did)/com.example.thing/self")

            let fetched = try await repo.get("com.atproto.repo.getRecord", "repo=\(alice.did)&collection=\(Self.post)&rkey=\(rkey)")
            #expect(fetched.status == .ok)
            let record = try json(fetched)
            #expect(record["uri"] as? String == uri)
            #expect(record["cid"] as? String == cid)
            let value = try #require(record["value"] as? [String: Any])
            #expect(value["text"] as? String == "hello")
            #expect(value["$type"] as? String == Self.post)
            let thing = try json(try await repo.get("com.atproto.repo.getRecord", "repo=alice.pds.example.com&collection=com.example.thing&rkey=self"))
            #expect((thing["value"] as? [String: Any])?["$type"] as? String == "com.example.thing")
            // The cid parameter must match.
            let reply1 = try await repo.get("com.atproto.repo.getRecord", "repo=\(alice.did)&collection=\(Self.post)&rkey=\(rkey)&cid=\(cid)")
            #expect(reply1.status == .ok)
            let otherCID = CID.dagCBOR(hashing: [1, 2, 3]).string
            let wrongCID = try await repo.get("com.atproto.repo.getRecord", "repo=\(alice.did)&collection=\(Self.post)&rkey=\(rkey)&cid=\(otherCID)")
            #expect(try errorBody(wrongCID)["error"] == "RecordNotFound")

            let listed = try json(try await repo.get("com.atproto.repo.listRecords", "repo=\(alice.did)&collection=\(Self.post)"))
            let records = try #require(listed["records"] as? [[String: Any]])
            #expect(records.count == 1 && records.first?["uri"] as? String == uri)
            #expect(listed["cursor"] as? String == rkey)

            let described = try json(try await repo.get("com.atproto.repo.describeRepo", "repo=alice.pds.example.com"))
            #expect(described["did"] as? String == alice.did)
            #expect(described["handle"] as? String == "alice.pds.example.com")
            #expect(described["handleIsCorrect"] as? Bool == true)
            #expect(described["collections"] as? [String] == ["app.bsky.feed.post", "com.example.thing"])
            let didDoc = try #require(described["didDoc"] as? [String: Any])
            #expect(didDoc["id"] as? String == alice.did)
            #expect(didDoc["alsoKnownAs"] as? [String] == ["at://alice.pds.example.com"])
            let methods = try #require(didDoc["verificationMethod"] as? [[String: Any]])
            let key = try await server.services.repos.signingPublicKey(did: alice.did)
            #expect(methods.first?["publicKeyMultibase"] as? String == key.multikey)

            let deleted = try await repo.post(
                "com.atproto.repo.deleteRecord", ["repo": alice.did, "collection": Self.post, "rkey": rkey])
            #expect(deleted.status == .ok)
            #expect(try json(deleted)["commit"] is [String: Any])
            let gone = try await repo.get("com.atproto.repo.getRecord", "repo=\(alice.did)&collection=\(Self.post)&rkey=\(rkey)")
            #expect(gone.status == .badRequest)
            #expect(try errorBody(gone)["error"] == "RecordNotFound")
            // Deleting it again is a no-op without a commit.
            let again = try await repo.post(
                "com.atproto.repo.deleteRecord", ["repo": alice.did, "collection": Self.post, "rkey": rkey])
            #expect(again.status == .ok)
            #expect(try json(again).isEmpty)
        }
        #expect(try await server.verifiedRepoPaths(did: alice.did) == ["com.example.thing/self"])
        #expect(server.sample("pds_repo_commits_total") == 3)
        #expect(server.sample("pds_repo_writes_total", labels: ["action": "create"]) == 2)
        #expect(server.sample("pds_repo_writes_total", labels: ["action": "delete"]) == 1)
    }

    @Test func putRecordCreatesUpdatesAndChecksSwaps() async throws {
        let server = try await Server()
        defer { server.close() }
        let bob = try await server.createAccount(handle: "bob.pds.example.com")
        let token = try await server.issueSession(did: bob.did).accessJwt
        let profile = "app.bsky.actor.profile"
        try await server.test { client in
            let repo = RepoClient(client: client, token: token)
            func put(_ record: [String: Any], extra: [String: Any] = [:]) async throws -> TestResponse {
                var body: [String: Any] = ["repo": bob.did, "collection": profile, "rkey": "self", "record": record]
                body.merge(extra) { $1 }
                return try await repo.post("com.atproto.repo.putRecord", body)
            }
            // swapRecord null: must not exist yet.
            let first = try await put(["displayName": "Bob"], extra: ["swapRecord": NSNull()])
            #expect(first.status == .ok)
            let firstCID = try #require(try json(first)["cid"] as? String)
            #expect(try json(first)["validationStatus"] as? String == "valid")
            let noneAgain = try await put(["displayName": "Bob 2"], extra: ["swapRecord": NSNull()])
            #expect(try errorBody(noneAgain)["error"] == "InvalidSwap")

            let wrongSwap = try await put(["displayName": "Bob 2"], extra: ["swapRecord": CID.dagCBOR(hashing: [9]).string])
            #expect(wrongSwap.status == .badRequest)
            #expect(try errorBody(wrongSwap)["error"] == "InvalidSwap")
            let wrongCommit = try await put(["displayName": "Bob 2"], extra: ["swapCommit": CID.dagCBOR(hashing: [8]).string])
            #expect(try errorBody(wrongCommit)["error"] == "InvalidSwap")

            let head = try #require(try await server.services.repos.head(did: bob.did))
            let second = try await put(
                ["displayName": "Bob 2"], extra: ["swapRecord": firstCID, "swapCommit": head.commitCID.string])
            #expect(second.status == .ok)
            #expect(try json(second)["cid"] as? String != firstCID)

            // The profile lexicon's key type is literal:self.
            let badKey = try await repo.post(
                "com.atproto.repo.putRecord",
                ["repo": bob.did, "collection": profile, "rkey": "other", "record": ["displayName": "x"]])
            #expect(badKey.status == .badRequest)
            // Unvalidated, the same write goes through and reports no validationStatus.
            let unvalidated = try await repo.post(
                "com.atproto.repo.putRecord",
                ["repo": bob.did, "collection": profile, "rkey": "other", "record": ["displayName": "x"], "validate": false])
            #expect(unvalidated.status == .ok)
            #expect(try json(unvalidated)["validationStatus"] == nil)

            // deleteRecord swap mismatch.
            let deleteSwap = try await repo.post(
                "com.atproto.repo.deleteRecord",
                ["repo": bob.did, "collection": profile, "rkey": "self", "swapRecord": firstCID])
            #expect(try errorBody(deleteSwap)["error"] == "InvalidSwap")
        }
        #expect(try await server.verifiedRepoPaths(did: bob.did) == ["app.bsky.actor.profile/other", "app.bsky.actor.profile/self"])
    }

    @Test func applyWritesCommitsOnceWithTypedResults() async throws {
        let server = try await Server()
        defer { server.close() }
        let carol = try await server.createAccount(handle: "carol.pds.example.com")
        let token = try await server.issueSession(did: carol.did).accessJwt
        let type = "com.atproto.repo.applyWrites"
        try await server.test { client in
            let repo = RepoClient(client: client, token: token)
            _ = try await repo.create(carol.did, Self.post, RepoClient.post("old"), rkey: "3kaaaaaaaaaa2")
            _ = try await repo.create(carol.did, Self.post, RepoClient.post("gone"), rkey: "3kaaaaaaaaab2")
            let before = try #require(try await server.services.repos.head(did: carol.did))
            let response = try await repo.post(
                type,
                [
                    "repo": carol.did,
                    "writes": [
                        ["$type": "\(type)#create", "collection": Self.post, "value": RepoClient.post("new")],
                        ["$type": "\(type)#update", "collection": Self.post, "rkey": "3kaaaaaaaaaa2", "value": RepoClient.post("edited")],
                        ["$type": "\(type)#delete", "collection": Self.post, "rkey": "3kaaaaaaaaab2"],
                    ],
                ])
            #expect(response.status == .ok)
            let body = try json(response)
            let results = try #require(body["results"] as? [[String: Any]])
            #expect(results.map { $0["$type"] as? String } == ["\(type)#createResult", "\(type)#updateResult", "\(type)#deleteResult"])
            #expect(results[0]["validationStatus"] as? String == "valid")
            #expect((results[1]["uri"] as? String)?.hasSuffix("/3kaaaaaaaaaa2") == true)
            let after = try #require(try await server.services.repos.head(did: carol.did))
            #expect((body["commit"] as? [String: Any])?["cid"] as? String == after.commitCID.string)
            #expect(after.rev > before.rev)
            #expect(server.sample("pds_repo_commits_total") == 3)

            // One bad write fails the whole batch.
            let failing = try await repo.post(
                type,
                [
                    "repo": carol.did,
                    "writes": [
                        ["$type": "\(type)#create", "collection": Self.post, "value": RepoClient.post("never")],
                        ["$type": "\(type)#update", "collection": Self.post, "rkey": "3kzzzzzzzzzz2", "value": RepoClient.post("x")],
                    ],
                ])
            #expect(failing.status == .badRequest)
            #expect(try await server.services.repos.head(did: carol.did) == after)

            let many = (0...RepoStore.maxWritesPerCommit).map { _ in
                ["$type": "\(type)#create", "collection": Self.post, "value": RepoClient.post("x")] as [String: Any]
            }
            let tooMany = try await repo.post(type, ["repo": carol.did, "writes": many])
            #expect(try errorBody(tooMany) == ["error": "InvalidRequest", "message": "Too many writes. Max: 200"])
            let badType = try await repo.post(
                type, ["repo": carol.did, "writes": [["$type": "\(type)#upsert", "collection": Self.post, "rkey": "a"]]])
            #expect(badType.status == .badRequest)
            #expect(try errorBody(badType)["message"]?.hasPrefix("Input/writes/0/$type must be one of") == true)
            let notObject = try await repo.post(type, ["repo": carol.did, "writes": ["x"]])
            #expect(try errorBody(notObject)["message"] == "Input/writes/0 must be an object")
        }
        #expect(try await server.verifiedRepoPaths(did: carol.did).count == 2)
    }

    @Test func secondFollowOfTheSameSubjectReplacesTheFirst() async throws {
        let server = try await Server()
        defer { server.close() }
        let dan = try await server.createAccount(handle: "dan.pds.example.com")
        let token = try await server.issueSession(did: dan.did).accessJwt
        try await server.test { client in
            let follow: [String: Any] = [
                "$type": "app.bsky.graph.follow", "subject": "did:plc:ewvi7nxzyoun6zhxrhs64oiz", "createdAt": "2026-01-01T00:00:00.000Z",
            ]
            let repo = RepoClient(client: client, token: token)
            let reply2 = try await repo.create(dan.did, "app.bsky.graph.follow", follow, rkey: "3kaaaaaaaaaa2")
            #expect(reply2.status == .ok)
            let reply3 = try await repo.create(dan.did, "app.bsky.graph.follow", follow, rkey: "3kaaaaaaaaab2")
            #expect(reply3.status == .ok)
            // Not with validate:false.
            let reply4 = try await repo.create(dan.did, "app.bsky.graph.follow", follow, rkey: "3kaaaaaaaaac2", validate: false)
            #expect(reply4.status == .ok)
        }
        #expect(try await server.verifiedRepoPaths(did: dan.did) == ["app.bsky.graph.follow/3kaaaaaaaaab2", "app.bsky.graph.follow/3kaaaaaaaaac2"])
    }

    @Test func writeErrors() async throws {
        let server = try await Server()
        defer { server.close() }
        let erin = try await server.createAccount(handle: "erin.pds.example.com")
        let other = try await server.createAccount(handle: "other.pds.example.com")
        let token = try await server.issueSession(did: erin.did).accessJwt
        try await server.test { client in
            let repo = RepoClient(client: client, token: token)
            let create = "com.atproto.repo.createRecord"
            func expectError(_ response: TestResponse, _ status: HTTPResponse.Status = .badRequest, error: String = "InvalidRequest", message: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
                #expect(response.status == status, sourceLocation: sourceLocation)
                let body = try errorBody(response)
                #expect(body["error"] == error, sourceLocation: sourceLocation)
                if let message { #expect(body["message"] == message, sourceLocation: sourceLocation) }
            }
            let valid = RepoClient.post("x")
            try expectError(try await repo.post(create, raw: ByteBuffer(string: "{\"repo\": ")), message: nil)
            try expectError(try await repo.post(create, raw: ByteBuffer(string: "[1]")))
            try expectError(try await repo.post(create, raw: ByteBuffer(string: "")), message: "A request body is expected but none was provided")
            try expectError(try await repo.post(create, raw: ByteBuffer(string: "{}"), contentType: "text/plain"))
            try expectError(try await repo.post(create, ["collection": Self.post, "record": valid]), message: #"Input must have the property "repo""#)
            try expectError(try await repo.post(create, ["repo": erin.did, "record": valid]), message: #"Input must have the property "collection""#)
            try expectError(try await repo.post(create, ["repo": erin.did, "collection": Self.post]), message: #"Input must have the property "record""#)
            try expectError(try await repo.post(create, ["repo": 5, "collection": Self.post, "record": valid]), message: "Input/repo must be a string")
            try expectError(try await repo.post(create, ["repo": erin.did, "collection": Self.post, "record": "text"]), message: "Input/record must be an object")
            try expectError(try await repo.post(create, ["repo": erin.did, "collection": Self.post, "record": valid, "validate": "yes"]), message: "Input/validate must be a boolean")
            try expectError(try await repo.post(create, ["repo": "not a did", "collection": Self.post, "record": valid]), message: "Input/repo must be a valid did or a handle")
            try expectError(try await repo.create(erin.did, "not-an-nsid", valid))
            try expectError(try await repo.create(erin.did, Self.post, valid, rkey: "bad/key"))
            try expectError(try await repo.create(erin.did, Self.post, valid, rkey: ".."))
            try expectError(try await repo.post(create, ["repo": erin.did, "collection": Self.post, "record": valid, "swapCommit": "notacid"]), message: "Input/swapCommit must be a cid string")
            // Unknown lexicon with validate:true, invalid records, $type mismatch, floats.
            try expectError(try await repo.create(erin.did, "com.example.thing", ["a": 1], validate: true), message: "Unknown lexicon type: com.example.thing")
            try expectError(try await repo.create(erin.did, Self.post, ["$type": Self.post, "text": 5, "createdAt": "2026-01-01T00:00:00.000Z"]))
            try expectError(try await repo.create(erin.did, Self.post, ["$type": Self.post]))
            try expectError(try await repo.create(erin.did, Self.post, ["$type": "app.bsky.feed.like", "text": "x"]), message: "Invalid $type: expected app.bsky.feed.post, got app.bsky.feed.like")
            try expectError(try await repo.create(erin.did, "com.example.thing", ["n": 1.5]))
            // A record that already exists.
            let reply5 = try await repo.create(erin.did, Self.post, valid, rkey: "3kaaaaaaaaaa2")
            #expect(reply5.status == .ok)
            try expectError(try await repo.create(erin.did, Self.post, valid, rkey: "3kaaaaaaaaaa2"))
            // Auth: none, bad token, someone else's repo, deactivated.
            try expectError(try await RepoClient(client: client, token: nil).create(erin.did, Self.post, valid), .unauthorized, error: "AuthMissing")
            try expectError(try await RepoClient(client: client, token: "garbage").create(erin.did, Self.post, valid), error: "InvalidToken")
            try expectError(try await repo.create(other.did, Self.post, valid), .unauthorized, error: "AuthenticationRequired")
            try expectError(try await repo.create("other.pds.example.com", Self.post, valid), .unauthorized, error: "AuthenticationRequired")
            try await server.setDeactivated(did: erin.did, true)
            try expectError(try await repo.create(erin.did, Self.post, valid), .unauthorized, error: "AccountDeactivated")
            try await server.setDeactivated(did: erin.did, false)
            try await server.setTakedown(did: erin.did, true)
            try expectError(try await repo.create(erin.did, Self.post, valid), .unauthorized, error: "AccountTakedown")
            // Reads of a taken-down repo find nothing.
            try expectError(try await repo.get("com.atproto.repo.getRecord", "repo=\(erin.did)&collection=\(Self.post)&rkey=3kaaaaaaaaaa2"), error: "RecordNotFound")
            try expectError(try await repo.get("com.atproto.repo.describeRepo", "repo=\(erin.did)"), error: "RepoTakendown")
        }
    }

    @Test func readErrorsAndPaging() async throws {
        let server = try await Server()
        defer { server.close() }
        let fay = try await server.createAccount(handle: "fay.pds.example.com")
        let token = try await server.issueSession(did: fay.did).accessJwt
        try await server.test { client in
            let repo = RepoClient(client: client, token: token)
            let type = "com.atproto.repo.applyWrites"
            let writes = (0..<7).map { index in
                ["$type": "\(type)#create", "collection": Self.post, "rkey": "3kaaaaaaaaa\(Self.letters[index])2", "value": RepoClient.post("\(index)")] as [String: Any]
            }
            let reply6 = try await repo.post(type, ["repo": fay.did, "writes": writes])
            #expect(reply6.status == .ok)
            var seen: [String] = []
            var cursor: String?
            repeat {
                let query = "repo=\(fay.did)&collection=\(Self.post)&limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try json(try await repo.get("com.atproto.repo.listRecords", query))
                let records = try #require(page["records"] as? [[String: Any]])
                seen += records.compactMap { ($0["uri"] as? String)?.split(separator: "/").last.map(String.init) }
                cursor = records.isEmpty ? nil : page["cursor"] as? String
            } while cursor != nil
            #expect(seen == (0..<7).reversed().map { "3kaaaaaaaaa\(Self.letters[$0])2" })
            let reversed = try json(try await repo.get("com.atproto.repo.listRecords", "repo=fay.pds.example.com&collection=\(Self.post)&reverse=true&limit=2"))
            #expect((reversed["records"] as? [[String: Any]])?.first?["uri"] as? String == "at://\(fay.did)/\(Self.post)/3kaaaaaaaaab2")

            for (query, message) in [
                ("repo=\(fay.did)&collection=\(Self.post)&limit=0", "limit can not be less than 1"),
                ("repo=\(fay.did)&collection=\(Self.post)&limit=101", "limit can not be greater than 100"),
                ("repo=\(fay.did)&collection=\(Self.post)&limit=x", "limit must be an integer"),
                ("repo=\(fay.did)&collection=\(Self.post)&reverse=maybe", "reverse must be a boolean"),
                ("collection=\(Self.post)", #"Params must have the property "repo""#),
                ("repo=\(fay.did)", #"Params must have the property "collection""#),
                ("repo=nope&collection=\(Self.post)", "repo must be a valid did or a handle"),
                ("repo=\(fay.did)&collection=nope", "collection must be a valid nsid"),
                ("repo=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa&collection=\(Self.post)", "Could not find repo: did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"),
            ] {
                let response = try await repo.get("com.atproto.repo.listRecords", query)
                #expect(response.status == .badRequest)
                #expect(try errorBody(response)["message"] == message, "\(query)")
            }
            for query in [
                "repo=\(fay.did)&collection=\(Self.post)&rkey=..",
                "repo=\(fay.did)&collection=\(Self.post)&rkey=3kaaaaaaaaab2&cid=nope",
                "repo=\(fay.did)&collection=\(Self.post)",
                "repo=bad%20handle&collection=\(Self.post)&rkey=a",
            ] {
                let response = try await repo.get("com.atproto.repo.getRecord", query)
                #expect(try errorBody(response)["error"] == "InvalidRequest", "\(query)")
            }
            let unknownRepo = try await repo.get("com.atproto.repo.getRecord", "repo=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa&collection=\(Self.post)&rkey=a")
            #expect(try errorBody(unknownRepo)["error"] == "RecordNotFound")
            let describeUnknown = try await repo.get("com.atproto.repo.describeRepo", "repo=nobody.pds.example.com")
            #expect(try errorBody(describeUnknown)["error"] == "RepoNotFound")
            try await server.setDeactivated(did: fay.did, true)
            let describeDeactivated = try await repo.get("com.atproto.repo.describeRepo", "repo=\(fay.did)")
            #expect(try errorBody(describeDeactivated)["error"] == "RepoDeactivated")
        }
    }

    @Test func preferencesRoundTripAndScopes() async throws {
        let server = try await Server()
        defer { server.close() }
        let gus = try await server.createAccount(handle: "gus.pds.example.com")
        let full = try await server.issueSession(did: gus.did).accessJwt
        let app = try await server.issueSession(did: gus.did, scope: .appPass, appPasswordName: "app").accessJwt
        try await server.test { client in
            let details: [String: Any] = ["$type": "app.bsky.actor.defs#personalDetailsPref", "birthDate": "1990-01-01T00:00:00.000Z"]
            let adult: [String: Any] = ["$type": "app.bsky.actor.defs#adultContentPref", "enabled": true]
            func put(_ token: String, _ preferences: Any) async throws -> TestResponse {
                try await RepoClient(client: client, token: token).post("app.bsky.actor.putPreferences", ["preferences": preferences])
            }
            func get(_ token: String) async throws -> [[String: Any]] {
                let response = try await client.execute(
                    uri: "/xrpc/app.bsky.actor.getPreferences", method: .get, headers: Server.bearer(token))
                return try #require(try json(response)["preferences"] as? [[String: Any]])
            }
            #expect(try await get(full).isEmpty)
            let reply7 = try await put(full, [details, adult])
            #expect(reply7.status == .ok)
            #expect(try await get(full).map { $0["$type"] as? String } == ["app.bsky.actor.defs#personalDetailsPref", "app.bsky.actor.defs#adultContentPref"])
            // A limited session neither sees nor replaces personal details.
            #expect(try await get(app).map { $0["$type"] as? String } == ["app.bsky.actor.defs#adultContentPref"])
            let denied = try await put(app, [details])
            #expect(try errorBody(denied)["message"] == "Do not have authorization to set preferences.")
            let reply8 = try await put(app, [["$type": "app.bsky.actor.defs#savedFeedsPref", "pinned": [], "saved": []]])
            #expect(reply8.status == .ok)
            #expect(try await get(full).map { $0["$type"] as? String } == ["app.bsky.actor.defs#personalDetailsPref", "app.bsky.actor.defs#savedFeedsPref"])
            #expect((try await get(full).first?["birthDate"]) as? String == "1990-01-01T00:00:00.000Z")

            let noType = try await put(full, [["enabled": true]])
            #expect(try errorBody(noType)["message"] == "Preference is missing a $type")
            let foreign = try await put(full, [["$type": "com.example.pref"]])
            #expect(try errorBody(foreign)["message"] == "Some preferences are not in the app.bsky namespace")
            let notArray = try await put(full, "x")
            #expect(try errorBody(notArray)["message"] == "Input/preferences must be an array")
            let unauthenticated = try await client.execute(uri: "/xrpc/app.bsky.actor.getPreferences", method: .get)
            #expect(unauthenticated.status == .unauthorized)
        }
    }
}
