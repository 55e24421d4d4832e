import ATProto
import Foundation
import GRDB
import Testing

@testable import Storage

@Suite("Repositories: commits, records, events")
struct RepoStoreTests {
    /// A migrated database in a temp folder with stores on top.
    typealias Fixture = StoreFixture

    static func post(_ text: String) -> EncodedRecord {
        EncodedRecord(["$type": "app.bsky.feed.post", "text": .string(text), "createdAt": "2026-11-25T10:00:00.000Z"])
    }

    static func create(_ rkey: String, _ text: String, collection: String = "app.bsky.feed.post") -> RecordWrite {
        RecordWrite(action: .create, collection: collection, rkey: rkey, record: post(text))
    }

    /// Decodes a stored frame and checks a `#commit` the way a relay would: signature, inversion of the ops on
    /// the carried blocks only, and `since`/`prevData` against the previous head.
    static func verifyCommitEvent(
        _ frame: [UInt8], key: PublicKey, previous: RepoStore.Head
    ) throws -> (rev: String, ops: [RepoOperation]) {
        let (header, body) = try FirehoseFrame.decode(frame)
        #expect(header["t"] == "#commit")
        #expect(header["op"] == 1)
        let car = try #require(body["blocks"]?.bytesValue)
        let (roots, blocks) = try CARReader.read(car)
        let commitCID = try #require(body["commit"]?.linkValue)
        #expect(roots == [commitCID])
        var map: [CID: [UInt8]] = [:]
        for block in blocks { map[block.cid] = block.bytes }
        let ops = try #require(body["ops"]?.arrayValue).map { try RepoOperation(dataValue: $0) }
        let prevData = body["prevData"]?.linkValue
        #expect(prevData == previous.dataCID)
        #expect(body["since"]?.stringValue == previous.rev)
        let commit = try CommitProof.verifyInversion(
            commit: commitCID, prevData: prevData, ops: ops, blocks: map, requireRecordBlocks: true)
        #expect(commit.verifySignature(with: key))
        #expect(commit.rev == body["rev"]?.stringValue)
        return (commit.rev, ops)
    }

    @Test func newAccountHasSignedEmptyRepoAndFourEvents() async throws {
        let f = try await Fixture.make()
        defer { f.dir.remove() }
        let key = K256PrivateKey()
        let created = try await f.account("alice", key: key)
        #expect(created.seqs.count == 4)
        #expect(created.seqs == created.seqs.sorted())
        // First seq on an empty log comes from the clock (microseconds).
        let nowMicros = Int64(Date().timeIntervalSince1970 * 1_000_000)
        #expect(abs(created.seqs[0] - nowMicros) < 60_000_000)
        let events = try await f.database.firehoseEvents(after: 0, limit: 10)
        #expect(events.map(\.kind) == ["identity", "account", "commit", "sync"])
        let (_, identity) = try FirehoseFrame.decode(events[0].frame)
        #expect(identity["handle"] == "alice.test")
        #expect(identity["seq"] == .int(events[0].seq))
        let (_, commit) = try FirehoseFrame.decode(events[2].frame)
        #expect(commit["since"] == .null)
        #expect(commit["ops"] == [])
        let head = try #require(try await f.repos.head(did: "did:plc:alice"))
        #expect(head.dataCID == MST.emptyRootCID)
        #expect(try await f.database.firehoseHead() == events.last?.seq)
        #expect(try await f.accounts.account(handle: "ALICE.test")?.did == "did:plc:alice")
        #expect(try await f.accounts.account(identifier: "alice@example.com")?.did == "did:plc:alice")
    }

    @Test func duplicateHandleOrDIDLeavesNothingBehind() async throws {
        let f = try await Fixture.make()
        defer { f.dir.remove() }
        try await f.account("alice")
        let before = try await f.database.firehoseHead()
        await #expect(throws: StorageError.self) {
            try await f.accounts.create(.init(did: "did:plc:other", handle: "alice.test", email: nil, passwordScrypt: nil, signingKey: K256PrivateKey()))
        }
        #expect(try await f.accounts.account(did: "did:plc:other") == nil)
        #expect(try await f.repos.head(did: "did:plc:other") == nil)
        #expect(try await f.database.firehoseHead() == before)
    }

    @Test func commitsChainAndInvertOnTheirOwnBlocks() async throws {
        let f = try await Fixture.make()
        defer { f.dir.remove() }
        let key = K256PrivateKey()
        try await f.account("bob", key: key)
        var head = try #require(try await f.repos.head(did: "did:plc:bob"))
        var lastSeq = try #require(try await f.database.firehoseHead())
        var rng = SystemRandomNumberGenerator()
        var live: [String: String] = [:]
        for round in 0..<30 {
            var writes: [RecordWrite] = []
            for i in 0..<Int.random(in: 1...5, using: &rng) {
                let rkey = "r\(round)x\(i)"
                writes.append(Self.create(rkey, "post \(round) \(i)"))
                live[rkey] = "post \(round) \(i)"
            }
            if let victim = live.keys.filter({ !writes.map(\.rkey).contains($0) }).randomElement(using: &rng) {
                if Bool.random(using: &rng) {
                    writes.append(RecordWrite(action: .delete, collection: "app.bsky.feed.post", rkey: victim))
                    live[victim] = nil
                } else {
                    writes.append(RecordWrite(action: .update, collection: "app.bsky.feed.post", rkey: victim, record: Self.post("edited \(round)")))
                    live[victim] = "edited \(round)"
                }
            }
            let outcome = try await f.repos.applyWrites(did: "did:plc:bob", writes: writes)
            #expect(outcome.seq == lastSeq + 1)
            lastSeq = outcome.seq
            let events = try await f.database.firehoseEvents(after: outcome.seq - 1, limit: 1)
            let (rev, ops) = try Self.verifyCommitEvent(events[0].frame, key: key.publicKey, previous: head)
            #expect(rev > head.rev)
            #expect(ops.count == writes.count)
            head = try #require(try await f.repos.head(did: "did:plc:bob"))
            #expect(head.rev == rev && head.commitCID == outcome.commitCID)
        }
        // The record index matches what was written, and the tree holds exactly those keys.
        let records = try await f.repos.listRecords(did: "did:plc:bob", collection: "app.bsky.feed.post", limit: 1000, cursor: nil, reverse: true)
        #expect(Set(records.map(\.rkey)) == Set(live.keys))
        for record in records {
            let value = try DAGCBOR.decode(record.bytes)
            #expect(value["text"]?.stringValue == live[record.rkey])
        }
        let finalHead = head
        let treeKeys = try await f.database.read(kind: "test") { db in
            try MST(root: finalHead.dataCID, reader: SQLBlockReader(db: db, did: "did:plc:bob")).allLeaves().map(\.key)
        }
        #expect(Set(treeKeys) == Set(live.keys.map { "app.bsky.feed.post/\($0)" }))
        // Only blocks reachable from the head are kept: one commit plus the tree's nodes.
        let nodeCount = try await f.database.read(kind: "test") { db in
            var count = 0
            try MST(root: finalHead.dataCID, reader: SQLBlockReader(db: db, did: "did:plc:bob")).forEachNodeBlock { _, _ in count += 1 }
            return count
        }
        let stored = try await f.database.read(kind: "test") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM repo_block WHERE did = ?", arguments: ["did:plc:bob"]) ?? -1
        }
        #expect(stored == nodeCount + 1)
    }

    @Test func swapsAreChecked() async throws {
        let f = try await Fixture.make()
        defer { f.dir.remove() }
        try await f.account("carol")
        let first = try await f.repos.applyWrites(did: "did:plc:carol", writes: [Self.create("a", "one")])
        do {
            _ = try await f.repos.applyWrites(did: "did:plc:carol", writes: [Self.create("b", "two")], swapCommit: CID.dagCBOR(hashing: [1]))
            Issue.record("stale swapCommit accepted")
        } catch {
            #expect(error.code == .invalidSwap)
        }
        let second = try await f.repos.applyWrites(did: "did:plc:carol", writes: [Self.create("b", "two")], swapCommit: first.commitCID)
        #expect(second.rev > first.rev)
        var put = RecordWrite(action: .put, collection: "app.bsky.feed.post", rkey: "a", record: Self.post("1b"))
        put.swap = .mustNotExist
        await #expect(throws: StorageError.self) { try await f.repos.applyWrites(did: "did:plc:carol", writes: [put]) }
        put.swap = .mustBe(Self.post("one").cid)
        let updated = try await f.repos.applyWrites(did: "did:plc:carol", writes: [put])
        #expect(updated.applied.first?.action == .update)
        await #expect(throws: StorageError.self) { try await f.repos.applyWrites(did: "did:plc:carol", writes: [Self.create("a", "dup")]) }
        do {
            _ = try await f.repos.applyWrites(did: "did:plc:carol", writes: [RecordWrite(action: .delete, collection: "app.bsky.feed.post", rkey: "zz")])
            Issue.record("delete of a missing record accepted")
        } catch {
            #expect(error.code == .recordNotFound)
        }
        do {
            _ = try await f.repos.applyWrites(did: "did:plc:nobody", writes: [Self.create("a", "x")])
            Issue.record("write to a missing repo accepted")
        } catch {
            #expect(error.code == .repoNotFound)
        }
    }

    @Test func duplicateFollowReplacesTheOlderOne() async throws {
        let f = try await Fixture.make()
        defer { f.dir.remove() }
        try await f.account("dave")
        func follow(_ rkey: String) -> RecordWrite {
            RecordWrite(
                action: .create, collection: "app.bsky.graph.follow", rkey: rkey,
                record: EncodedRecord(["$type": "app.bsky.graph.follow", "subject": "did:plc:erin", "createdAt": .string(rkey)]),
                backlinks: [.init(path: "subject", linkTo: "did:plc:erin")], replaceSameBacklinks: true)
        }
        _ = try await f.repos.applyWrites(did: "did:plc:dave", writes: [follow("3kaaaaaaaaaa2")])
        let second = try await f.repos.applyWrites(did: "did:plc:dave", writes: [follow("3kaaaaaaaaab2")])
        #expect(second.applied.map(\.action) == [.delete, .create])
        let follows = try await f.repos.listRecords(did: "did:plc:dave", collection: "app.bsky.graph.follow", limit: 10, cursor: nil, reverse: false)
        #expect(follows.map(\.rkey) == ["3kaaaaaaaaab2"])
    }

    @Test func blobsMustBeUploadedAndMatch() async throws {
        let f = try await Fixture.make()
        defer { f.dir.remove() }
        try await f.account("fay")
        let bytes: [UInt8] = Array(repeating: 7, count: 100)
        let cid = CID.raw(hashing: bytes)
        let blob = BlobRef(ref: cid, mimeType: "image/png", size: 100)
        let record = EncodedRecord(["$type": "app.bsky.feed.post", "text": "pic", "embed": ["image": blob.dataValue]])
        let write = RecordWrite(action: .create, collection: "app.bsky.feed.post", rkey: "p", record: record, blobs: [blob])
        let headBefore = try await f.repos.head(did: "did:plc:fay")
        do {
            _ = try await f.repos.applyWrites(did: "did:plc:fay", writes: [write])
            Issue.record("record with a missing blob accepted")
        } catch {
            #expect(error.code == .blobNotFound)
        }
        #expect(try await f.repos.head(did: "did:plc:fay") == headBefore)
        try await f.database.write(kind: "test") { db in
            try db.execute(
                sql: "INSERT INTO blob (did, cid, mime_type, size, temp_key, created_at) VALUES (?, ?, 'image/png', 100, 'tmp', 'now')",
                arguments: ["did:plc:fay", Data(cid.bytes)])
        }
        _ = try await f.repos.applyWrites(did: "did:plc:fay", writes: [write])
        let deleted = try await f.repos.applyWrites(did: "did:plc:fay", writes: [RecordWrite(action: .delete, collection: "app.bsky.feed.post", rkey: "p")])
        #expect(deleted.releasedBlobs == [cid])
    }

    @Test func concurrentWritesAreAllKeptAndReposVerify() async throws {
        let f = try await Fixture.make()
        defer { f.dir.remove() }
        for name in ["c0", "c1", "c2", "c3"] { try await f.account(name) }
        let outcomes = try await withThrowingTaskGroup(of: CommitOutcome.self) { group in
            for i in 0..<64 {
                group.addTask {
                    try await f.repos.applyWrites(did: i < 32 ? "did:plc:c0" : "did:plc:c\(i % 4)", writes: [Self.create("k\(i)", "text \(i)")])
                }
            }
            var all: [CommitOutcome] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        #expect(Set(outcomes.map(\.seq)).count == 64)
        for name in ["c0", "c1", "c2", "c3"] {
            let did = "did:plc:\(name)"
            let acknowledged = Set(outcomes.filter { $0.did == did }.flatMap { $0.applied.map(\.rkey) })
            try await Self.expectPosts(acknowledged, storedIn: did, f)
        }
    }

    /// The repository of `did` holds exactly the posts `rkeys`, in its record index and in its tree, which verifies.
    static func expectPosts(
        _ rkeys: Set<String>, storedIn did: String, _ f: StoreFixture, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let stored = try await f.repos.listRecords(did: did, collection: "app.bsky.feed.post", limit: 100, cursor: nil, reverse: false)
        #expect(Set(stored.map(\.rkey)) == rkeys, sourceLocation: sourceLocation)
        let head = try #require(try await f.repos.head(did: did), sourceLocation: sourceLocation)
        let keys = try await f.database.read(kind: "test") { db in
            let tree = MST(root: head.dataCID, reader: SQLBlockReader(db: db, did: did))
            _ = try tree.validate()
            return try tree.allLeaves().map(\.key)
        }
        #expect(Set(keys) == Set(rkeys.map { "app.bsky.feed.post/\($0)" }), sourceLocation: sourceLocation)
    }

    @Test func listRecordsPagesWithinOneCollection() async throws {
        let f = try await Fixture.make()
        defer { f.dir.remove() }
        try await f.account("gus")
        let writes = (0..<10).map { Self.create("r\($0)", "p\($0)") } + [Self.create("x", "other", collection: "app.bsky.feed.postgate")]
        _ = try await f.repos.applyWrites(did: "did:plc:gus", writes: writes)
        var seen: [String] = []
        var cursor: String? = nil
        repeat {
            let page = try await f.repos.listRecords(did: "did:plc:gus", collection: "app.bsky.feed.post", limit: 3, cursor: cursor, reverse: false)
            seen += page.map(\.rkey)
            cursor = page.count == 3 ? page.last?.rkey : nil
        } while cursor != nil
        #expect(seen == (0..<10).map { "r\($0)" }.sorted(by: >))
        #expect(try await f.repos.collections(did: "did:plc:gus") == ["app.bsky.feed.post", "app.bsky.feed.postgate"])
    }
}
