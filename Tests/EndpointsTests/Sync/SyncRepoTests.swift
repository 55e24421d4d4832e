import ATProto
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

@testable import Endpoints

/// getRepo, getLatestCommit, getRecord and getBlocks against repositories written by the test.
@Suite struct SyncRepoTests {
    typealias Server = TestServerWithServices

    @Test func getRepoExportsTheWholeVerifiableRepository() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        // More records than two export pages (500 rows each).
        let paths = try await server.writePosts(did: alice.did, count: 1_100)
        let head = try #require(try await server.services.repos.head(did: alice.did))
        let key = try await server.services.repos.signingPublicKey(did: alice.did)
        let size = try await server.test { client in
            let response = try await server.get(client, "com.atproto.sync.getRepo", "did=\(alice.did)")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/vnd.ipld.car")
            let (roots, blocks) = try SyncCAR.parse(response)
            #expect(roots == [head.commitCID])
            #expect(blocks.first?.cid == head.commitCID)
            #expect(Set(blocks.map(\.cid)).count == blocks.count)
            // The commit is signed by the account's key, the tree validates, every record is there and hashes right.
            let (commit, records) = try RepoExport.verify(
                commit: head.commitCID, blocks: SyncCAR.map(blocks), did: alice.did, key: key)
            #expect(records.map(\.key) == paths.sorted())
            // Rebuilt from the records alone, the tree has the commit's root, and the CAR holds exactly the commit,
            // that tree's nodes and the records.
            let rebuilt = try RepoBuilder.apply(
                records.map { .create(path: $0.key, cid: $0.value) }, root: nil, reader: MemoryBlockStore())
            #expect(rebuilt.root == commit.data)
            #expect(blocks.count == 1 + rebuilt.newNodeBlocks.count + records.count)
            #expect(Set(blocks.map(\.cid)) == Set([head.commitCID] + rebuilt.newNodeBlocks.keys + records.map(\.value)))
            return response.body.readableBytes
        }
        #expect(server.sample("pds_sync_repo_exports_total", labels: ["result": "ok"]) == 1)
        #expect(server.sample("pds_sync_bytes_sent_total", labels: ["route": "com.atproto.sync.getRepo"]) == Double(size))
        let line = try #require(server.logs.entries.first { $0.message == "repo exported" })
        #expect(line.metadata["did"] == alice.did)
        #expect(line.metadata["bytes"] == "\(size)")
        #expect(line.metadata["blocks"] != nil && line.metadata["duration_ms"] != nil)
    }

    @Test func getRepoIsGzippedWhenAskedOverARealSocket() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let paths = try await server.writePosts(did: alice.did, count: 600)
        let head = try #require(try await server.services.repos.head(did: alice.did))
        let key = try await server.services.repos.signingPublicKey(did: alice.did)
        try await server.test(.live) { client in
            let response = try await server.get(
                client, "com.atproto.sync.getRepo", "did=\(alice.did)", headers: [.acceptEncoding: "gzip"])
            #expect(response.status == .ok)
            #expect(response.headers[.contentEncoding] == "gzip")
            let (roots, blocks) = try CARReader.read(try Gunzip.decompress(response.body))
            #expect(roots == [head.commitCID])
            let (_, records) = try RepoExport.verify(commit: head.commitCID, blocks: SyncCAR.map(blocks), did: alice.did, key: key)
            #expect(records.map(\.key) == paths.sorted())
        }
    }

    @Test func getRepoSinceSendsOnlyNewerBlocks() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let old = try await server.writePosts(did: alice.did, count: 300, prefix: "a")
        let middle = try #require(try await server.services.repos.head(did: alice.did))
        let new = try await server.writePosts(did: alice.did, count: 20, prefix: "b")
        let head = try #require(try await server.services.repos.head(did: alice.did))
        try await server.test { client in
            let full = try SyncCAR.parse(try await server.get(client, "com.atproto.sync.getRepo", "did=\(alice.did)"))
            let diff = try await server.get(client, "com.atproto.sync.getRepo", "did=\(alice.did)&since=\(middle.rev)")
            #expect(diff.status == .ok)
            let (roots, blocks) = try SyncCAR.parse(diff)
            #expect(roots == [head.commitCID])
            #expect(blocks.first?.cid == head.commitCID)
            let cids = Set(blocks.map(\.cid))
            #expect(cids.isSubset(of: Set(full.blocks.map(\.cid))))
            #expect(blocks.count < full.blocks.count)
            let records = try await server.database.read(kind: "test") { db in
                try Row.fetchAll(db, sql: "SELECT rkey, cid, rev FROM record WHERE did = ?", arguments: [alice.did])
                    .map { (rkey: $0["rkey"] as String, cid: try CID(bytes: $0["cid"] as Data), rev: $0["rev"] as String) }
            }
            // Every record written after `since` is there, none written before.
            for record in records {
                let isNew = new.contains("app.bsky.feed.post/\(record.rkey)")
                #expect(cids.contains(record.cid) == isNew)
                #expect(isNew == (record.rev > middle.rev))
            }
            #expect(old.count + new.count == records.count)
            // Every node sent was written after `since`.
            let nodeRevs = try await server.database.read(kind: "test") { db in
                try String.fetchAll(db, sql: "SELECT rev FROM repo_block WHERE did = ? AND cid IN (\(blocks.map { _ in "?" }.joined(separator: ",")))",
                    arguments: StatementArguments([alice.did] + blocks.map { Data($0.cid.bytes) }))
            }
            #expect(nodeRevs.allSatisfy { $0 > middle.rev })
            #expect(!nodeRevs.isEmpty)

            // Since the head: the header and no blocks.
            let none = try SyncCAR.parse(try await server.get(client, "com.atproto.sync.getRepo", "did=\(alice.did)&since=\(head.rev)"))
            #expect(none.roots == [head.commitCID])
            #expect(none.blocks.isEmpty)
        }
    }

    @Test func exportReadsOneSnapshotWhileWritesGoOn() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        try await server.writePosts(did: alice.did, count: 400)
        let key = try await server.services.repos.signingPublicKey(did: alice.did)
        var stream = try #require(
            try await RepoExportStream.open(database: server.database, did: alice.did, since: nil, pageSize: 50))
        var blocks = try await stream.nextPage()
        blocks += try await stream.nextPage()
        // Writes after the stream opened: updates and deletes that drop nodes the export still has to send.
        try await server.writePosts(did: alice.did, count: 100, prefix: "z")
        _ = try await server.services.repos.applyWrites(
            did: alice.did,
            writes: (0..<150).map { RecordWrite(action: .delete, collection: "app.bsky.feed.post", rkey: "p" + String(format: "%06d", $0)) })
        while true {
            let page = try await stream.nextPage()
            if page.isEmpty { break }
            #expect(page.count <= 50)
            blocks += page
        }
        let (_, records) = try RepoExport.verify(commit: stream.head.commitCID, blocks: SyncCAR.map(blocks), did: alice.did, key: key)
        #expect(records.count == 400)
        #expect(try await server.services.repos.head(did: alice.did)?.commitCID != stream.head.commitCID)
    }

    @Test func getLatestCommitAnswersTheHead() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        try await server.writePosts(did: alice.did, count: 3)
        let head = try #require(try await server.services.repos.head(did: alice.did))
        try await server.test { client in
            let response = try await server.get(client, "com.atproto.sync.getLatestCommit", "did=\(alice.did)")
            #expect(response.status == .ok)
            let body = try json(response)
            #expect(body["cid"] as? String == head.commitCID.string)
            #expect(body["rev"] as? String == head.rev)
        }
    }

    @Test func getRecordProvesPresenceAndAbsence() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        try await server.writePosts(did: alice.did, count: 250)
        let head = try #require(try await server.services.repos.head(did: alice.did))
        let key = try await server.services.repos.signingPublicKey(did: alice.did)
        let stored = try #require(try await server.services.repos.record(did: alice.did, collection: "app.bsky.feed.post", rkey: "p000123"))
        try await server.test { client in
            let present = try await server.get(
                client, "com.atproto.sync.getRecord", "did=\(alice.did)&collection=app.bsky.feed.post&rkey=p000123")
            #expect(present.status == .ok)
            #expect(present.headers[.contentType] == "application/vnd.ipld.car")
            let proof = try SyncCAR.parse(present)
            #expect(proof.roots == [head.commitCID])
            let found = try RepoExport.verifyRecordProof(
                commit: head.commitCID, path: "app.bsky.feed.post/p000123", blocks: SyncCAR.map(proof.blocks), key: key)
            #expect(found?.cid == stored.cid)
            #expect(found?.bytes == stored.bytes)
            // A path, not the repository: a handful of blocks.
            #expect(proof.blocks.count < 10)

            let absent = try await server.get(
                client, "com.atproto.sync.getRecord", "did=\(alice.did)&collection=app.bsky.feed.post&rkey=p999999")
            #expect(absent.status == .ok)
            let absence = try SyncCAR.parse(absent)
            #expect(absence.roots == [head.commitCID])
            let none = try RepoExport.verifyRecordProof(
                commit: head.commitCID, path: "app.bsky.feed.post/p999999", blocks: SyncCAR.map(absence.blocks), key: key)
            #expect(none == nil)
            // Without the proof's nodes the absence cannot be shown.
            let commitOnly = SyncCAR.map(absence.blocks.filter { $0.cid == head.commitCID })
            #expect(throws: CommitError.self) {
                try RepoExport.verifyRecordProof(commit: head.commitCID, path: "app.bsky.feed.post/p999999", blocks: commitOnly)
            }

            for query in [
                "did=\(alice.did)&collection=not-an-nsid&rkey=p1", "did=\(alice.did)&collection=app.bsky.feed.post&rkey=..",
                "did=\(alice.did)&collection=app.bsky.feed.post",
            ] {
                let bad = try await server.get(client, "com.atproto.sync.getRecord", query)
                #expect(bad.status == .badRequest)
                #expect(try errorBody(bad)["error"] == "InvalidRequest")
            }
        }
    }

    @Test func getBlocksReturnsTheAskedBlocksOrBlockNotFound() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        try await server.writePosts(did: alice.did, count: 5)
        let head = try #require(try await server.services.repos.head(did: alice.did))
        let record = try #require(try await server.services.repos.record(did: alice.did, collection: "app.bsky.feed.post", rkey: "p000002"))
        try await server.test { client in
            let response = try await server.get(
                client, "com.atproto.sync.getBlocks",
                "did=\(alice.did)&cids=\(head.commitCID.string)&cids=\(record.cid.string)&cids=\(head.dataCID.string)")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/vnd.ipld.car")
            let car = try SyncCAR.parse(response)
            #expect(car.roots.isEmpty)
            #expect(car.blocks.map(\.cid) == [head.commitCID, record.cid, head.dataCID])
            #expect(car.blocks[1].bytes == record.bytes)

            let unknown = CID.dagCBOR(hashing: [1, 2, 3])
            let missing = try await server.get(
                client, "com.atproto.sync.getBlocks", "did=\(alice.did)&cids=\(head.commitCID.string)&cids=\(unknown.string)")
            #expect(missing.status == .badRequest)
            let body = try errorBody(missing)
            #expect(body["error"] == "BlockNotFound")
            #expect(body["message"]?.contains(unknown.string) == true)

            for query in ["did=\(alice.did)", "did=\(alice.did)&cids=nope", "did=nope&cids=\(head.commitCID.string)"] {
                let bad = try await server.get(client, "com.atproto.sync.getBlocks", query)
                #expect(bad.status == .badRequest)
                #expect(try errorBody(bad)["error"] == "InvalidRequest")
            }
        }
    }
}
