import ATProto
import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

@testable import Endpoints

/// getRepoStatus, listRepos, and how every sync method answers for unknown, taken-down and deactivated repos
/// and for bad parameters.
@Suite struct SyncAccessTests {
    typealias Server = TestServerWithServices

    /// The per-repository methods with valid parameters for `did` (a record path and a CID that exist).
    static func queries(did: String, cid: CID) -> [(String, String)] {
        [
            ("com.atproto.sync.getRepo", "did=\(did)"),
            ("com.atproto.sync.getLatestCommit", "did=\(did)"),
            ("com.atproto.sync.getRecord", "did=\(did)&collection=app.bsky.feed.post&rkey=p000000"),
            ("com.atproto.sync.getBlocks", "did=\(did)&cids=\(cid.string)"),
            ("com.atproto.sync.listBlobs", "did=\(did)"),
            ("com.atproto.sync.getBlob", "did=\(did)&cid=\(CID.raw(hashing: [1]).string)"),
        ]
    }

    @Test func unavailableReposAnswerAsTheReference() async throws {
        let server = try await Server()
        defer { server.close() }
        let taken = try await server.createAccount(handle: "taken.pds.example.com")
        let resting = try await server.createAccount(handle: "resting.pds.example.com")
        try await server.writePosts(did: taken.did, count: 1)
        try await server.writePosts(did: resting.did, count: 1)
        try await server.setTakedown(did: taken.did, true)
        try await server.setDeactivated(did: resting.did, true)
        let takenHead = try #require(try await server.services.repos.head(did: taken.did))
        let restingHead = try #require(try await server.services.repos.head(did: resting.did))
        let restingToken = try await server.issueSession(did: resting.did).accessJwt
        let takenToken = try await server.issueSession(did: taken.did, scope: .takendown).accessJwt
        let unknown = Server.randomDID()
        try await server.test { client in
            for (nsid, query) in Self.queries(did: unknown, cid: takenHead.commitCID) {
                let response = try await server.get(client, nsid, query)
                #expect(response.status == .badRequest, "\(nsid)")
                #expect(try errorBody(response)["error"] == "RepoNotFound", "\(nsid)")
            }
            for (nsid, query) in Self.queries(did: taken.did, cid: takenHead.commitCID) {
                let response = try await server.get(client, nsid, query)
                #expect(response.status == .badRequest, "\(nsid)")
                #expect(try errorBody(response) == ["error": "RepoTakendown", "message": "Repo has been takendown: \(taken.did)"], "\(nsid)")
                // Another account's token changes nothing.
                let other = try await server.get(client, nsid, query, headers: Server.bearer(restingToken))
                #expect(try errorBody(other)["error"] == "RepoTakendown", "\(nsid)")
            }
            for (nsid, query) in Self.queries(did: resting.did, cid: restingHead.commitCID) {
                let response = try await server.get(client, nsid, query)
                #expect(response.status == .badRequest, "\(nsid)")
                #expect(try errorBody(response)["error"] == "RepoDeactivated", "\(nsid)")
            }
            // The owner and the admin still read them (getBlob's blob does not exist: BlobNotFound, past the check).
            for (nsid, query) in Self.queries(did: resting.did, cid: restingHead.commitCID) {
                let own = try await server.get(client, nsid, query, headers: Server.bearer(restingToken))
                if nsid.hasSuffix("getBlob") {
                    #expect(try errorBody(own)["error"] == "BlobNotFound")
                } else {
                    #expect(own.status == .ok, "\(nsid)")
                }
            }
            for (nsid, query) in Self.queries(did: taken.did, cid: takenHead.commitCID) where !nsid.hasSuffix("getBlob") {
                let admin = try await server.get(client, nsid, query, headers: Server.adminAuth())
                #expect(admin.status == .ok, "\(nsid)")
                let own = try await server.get(client, nsid, query, headers: Server.bearer(takenToken))
                #expect(own.status == .ok, "\(nsid)")
            }
            // A wrong admin password or a forged token is an auth error, not a pass.
            let (nsid, query) = Self.queries(did: taken.did, cid: takenHead.commitCID)[0]
            #expect(try await server.get(client, nsid, query, headers: Server.adminAuth(password: "wrong")).status == .unauthorized)
            #expect(try await server.get(client, nsid, query, headers: Server.bearer("not.a.jwt")).status == .badRequest)
        }
    }

    @Test func badParametersAreInvalidRequest() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        try await server.test { client in
            let cases: [(String, String)] = [
                ("com.atproto.sync.getRepo", ""),
                ("com.atproto.sync.getRepo", "did=alice"),
                ("com.atproto.sync.getRepo", "did=\(alice.did)&since=yesterday"),
                ("com.atproto.sync.getLatestCommit", "did=did:nope"),
                ("com.atproto.sync.getRepoStatus", "did=x"),
                ("com.atproto.sync.listBlobs", "did=\(alice.did)&since=1"),
                ("com.atproto.sync.listBlobs", "did=\(alice.did)&limit=0"),
                ("com.atproto.sync.listBlobs", "did=\(alice.did)&limit=1001"),
                ("com.atproto.sync.listBlobs", "did=\(alice.did)&cursor=notacid"),
                ("com.atproto.sync.getBlob", "did=\(alice.did)"),
                ("com.atproto.sync.getBlob", "did=\(alice.did)&cid=bafynotacid"),
                ("com.atproto.sync.listRepos", "limit=0"),
                ("com.atproto.sync.listRepos", "limit=1001"),
                ("com.atproto.sync.listRepos", "limit=ten"),
                ("com.atproto.sync.listRepos", "cursor=garbage"),
            ]
            for (nsid, query) in cases {
                let response = try await server.get(client, nsid, query)
                #expect(response.status == .badRequest, "\(nsid)?\(query)")
                let body = try errorBody(response)
                #expect(body["error"] == "InvalidRequest", "\(nsid)?\(query)")
                #expect(body["message"]?.isEmpty == false)
            }
        }
    }

    @Test func getRepoStatusReportsEveryHostedAccount() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let bob = try await server.createAccount(handle: "bob.pds.example.com")
        let carol = try await server.createAccount(handle: "carol.pds.example.com")
        try await server.setDeactivated(did: bob.did, true)
        try await server.setTakedown(did: carol.did, true)
        let head = try #require(try await server.services.repos.head(did: alice.did))
        try await server.test { client in
            let active = try json(try await server.get(client, "com.atproto.sync.getRepoStatus", "did=\(alice.did)"))
            #expect(active["did"] as? String == alice.did)
            #expect(active["active"] as? Bool == true)
            #expect(active["rev"] as? String == head.rev)
            #expect(active["status"] == nil)
            let deactivated = try json(try await server.get(client, "com.atproto.sync.getRepoStatus", "did=\(bob.did)"))
            #expect(deactivated["active"] as? Bool == false)
            #expect(deactivated["status"] as? String == "deactivated")
            #expect(deactivated["rev"] == nil)
            let takendown = try json(try await server.get(client, "com.atproto.sync.getRepoStatus", "did=\(carol.did)"))
            #expect(takendown["active"] as? Bool == false)
            #expect(takendown["status"] as? String == "takendown")
            let unknown = try await server.get(client, "com.atproto.sync.getRepoStatus", "did=\(Server.randomDID())")
            #expect(unknown.status == .badRequest)
            #expect(try errorBody(unknown)["error"] == "RepoNotFound")
        }
    }

    @Test func listReposPagesThroughEveryRepository() async throws {
        let server = try await Server()
        defer { server.close() }
        var dids: [String] = []
        for name in ["ann", "ben", "cat", "dan", "eve"] {
            dids.append(try await server.createAccount(handle: "\(name).pds.example.com").did)
        }
        try await server.setTakedown(did: dids[1], true)
        try await server.setDeactivated(did: dids[2], true)
        var found: [String: RepoStore.Head] = [:]
        for did in dids { found[did] = try await server.services.repos.head(did: did) }
        let heads = found
        let hosted = dids
        try await server.test { client in
            var seen: [[String: Any]] = []
            var cursor: String?
            var pages = 0
            repeat {
                let query = "limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try json(try await server.get(client, "com.atproto.sync.listRepos", query))
                let repos = try #require(page["repos"] as? [[String: Any]])
                #expect(repos.count <= 2)
                seen += repos
                cursor = page["cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen.compactMap { $0["did"] as? String } == hosted.sorted())
            for repo in seen {
                let did = try #require(repo["did"] as? String)
                #expect(repo["head"] as? String == heads[did]?.commitCID.string)
                #expect(repo["rev"] as? String == heads[did]?.rev)
                let status: String? = did == hosted[1] ? "takendown" : did == hosted[2] ? "deactivated" : nil
                #expect(repo["active"] as? Bool == (status == nil))
                #expect(repo["status"] as? String == status)
            }
            // The default limit takes them all in one page, with no cursor.
            let all = try json(try await server.get(client, "com.atproto.sync.listRepos", ""))
            #expect((all["repos"] as? [Any])?.count == 5)
            #expect(all["cursor"] == nil)
        }
    }
}
