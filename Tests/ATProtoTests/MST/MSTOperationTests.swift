import ATProto
import Testing

@Suite struct MSTOperationTests {
    let a = "app.bsky.feed.post/aaa"
    let b = "app.bsky.feed.post/bbb"
    let c = "app.bsky.feed.like/ccc"

    @Test func getInsertUpdateDeleteUpsert() throws {
        var rng = SeededGenerator(seed: 1)
        let v1 = RepoTestSupport.randomCID(using: &rng)
        let v2 = RepoTestSupport.randomCID(using: &rng)
        var tree = MST(reader: MemoryBlockStore())
        #expect(try tree.isEmpty())
        #expect(try tree.get(a) == nil)
        try tree.insert(a, v1)
        #expect(try tree.get(a) == v1)
        let insertAgain = #expect(throws: MSTError.self) { try tree.insert(a, v2) }
        #expect(insertAgain?.code == .keyExists)
        try tree.update(a, v2)
        #expect(try tree.get(a) == v2)
        let updateMissing = #expect(throws: MSTError.self) { try tree.update(b, v1) }
        #expect(updateMissing?.code == .keyNotFound)
        #expect(try tree.upsert(b, v1) == nil)
        #expect(try tree.upsert(b, v2) == v1)
        #expect(try tree.get(b) == v2)
        try tree.delete(a)
        #expect(try tree.get(a) == nil)
        let deleteMissing = #expect(throws: MSTError.self) { try tree.delete(a) }
        #expect(deleteMissing?.code == .keyNotFound)
        try tree.delete(b)
        #expect(tree.rootCID == MST.emptyRootCID)
        #expect(try tree.isEmpty())
    }

    @Test func updatesReturnNewTreesAndLeaveOldOnesIntact() throws {
        var rng = SeededGenerator(seed: 2)
        let v = RepoTestSupport.randomCID(using: &rng)
        let one = try MST(reader: MemoryBlockStore()).inserting(a, v)
        let two = try one.inserting(b, v)
        #expect(try one.get(b) == nil)
        #expect(try two.get(b) == v)
        #expect(one.rootCID != two.rootCID)
        #expect(try two.deleting(b).rootCID == one.rootCID)
    }

    @Test func rejectsInvalidKeys() throws {
        let tree = MST(reader: MemoryBlockStore())
        let v = RepoTestSupport.leaf
        let bad = [
            "", "nocollection", "/rkey", "coll/", "a/b/c", "app.bsky.feed.post/has space", "app.bsky.feed.post/ümlaut",
            "app.bsky.feed.post/" + String(repeating: "x", count: 1024), "a/b\n",
        ]
        for key in bad {
            let error = #expect(throws: MSTError.self, "\(key.debugDescription)") { try tree.inserting(key, v) }
            #expect(error?.code == .invalidKey)
            #expect(!MSTKey.isValid(key))
        }
        for key in ["a/b", "app.bsky.feed.post/3jqfcqzm3fo2j", "x/~_-:.", "A0/374913"] {
            #expect(MSTKey.isValid(key), "\(key)")
        }
        #expect(MSTKey.isValid("c/" + String(repeating: "x", count: 1022)))
        #expect(!MSTKey.isValid("c/" + String(repeating: "x", count: 1023)))
    }

    @Test func listingWithBoundsLimitsAndReverse() throws {
        var rng = SeededGenerator(seed: 3)
        let keys = RepoTestSupport.randomKeys(400, using: &rng)
        var store = MemoryBlockStore()
        let tree = RepoTestSupport.persist(try RepoTestSupport.tree(keys.map { ($0, RepoTestSupport.leaf) }), into: &store)
        #expect(try tree.list().map(\.key) == keys)
        #expect(try tree.list(reverse: true).map(\.key) == keys.reversed())
        #expect(try tree.list(limit: 7).map(\.key) == Array(keys.prefix(7)))
        #expect(try tree.list(limit: 0).isEmpty)
        for _ in 0..<30 {
            let i = Int.random(in: 0..<keys.count, using: &rng)
            let j = Int.random(in: i..<keys.count, using: &rng)
            let expected = keys.filter { $0 > keys[i] && $0 < keys[j] }
            #expect(try tree.list(after: keys[i], before: keys[j]).map(\.key) == expected)
            #expect(try tree.list(after: keys[i], before: keys[j], reverse: true).map(\.key) == expected.reversed())
            #expect(try tree.list(after: keys[i], limit: 5).map(\.key) == Array(keys.filter { $0 > keys[i] }.prefix(5)))
            #expect(try tree.list(before: keys[j], limit: 5, reverse: true).map(\.key) == Array(keys.filter { $0 < keys[j] }.reversed().prefix(5)))
        }
        for collection in RepoTestSupport.collections {
            let prefix = collection + "/"
            let expected = keys.filter { $0.hasPrefix(prefix) }
            #expect(try tree.list(prefix: prefix).map(\.key) == expected)
            #expect(try tree.list(prefix: prefix, reverse: true).map(\.key) == expected.reversed())
            if expected.count > 3 {
                #expect(try tree.list(prefix: prefix, after: expected[2], limit: 2).map(\.key) == Array(expected[3..<min(5, expected.count)]))
            }
        }
        #expect(try tree.list(prefix: "zzz/").isEmpty)
        #expect(try tree.leafCount() == 400)
    }

    @Test func singleKeyOperationsReadOnlyOnePath() throws {
        var rng = SeededGenerator(seed: 4)
        let keys = RepoTestSupport.randomKeys(3000, using: &rng)
        var store = MemoryBlockStore()
        let built = RepoTestSupport.persist(try RepoTestSupport.tree(keys.map { ($0, RepoTestSupport.leaf) }), into: &store)
        let reader = CountingReader(store)
        let tree = MST(root: built.rootCID, reader: reader)
        let height = MSTKey.height(Array(keys.max(by: { MSTKey.height($0) < MSTKey.height($1) })!.utf8)) + 1
        _ = try tree.get(keys[1234])
        #expect(reader.reads <= height)
        let before = reader.reads
        var updated = try tree.inserting(RepoTestSupport.randomKey(using: &rng), RepoTestSupport.leaf)
        try updated.delete(keys[17])
        _ = updated.rootCID
        // Two paths plus the neighbours touched by splits and merges: far below the ~1000 nodes of the tree.
        #expect(reader.reads - before < 8 * height)
    }

    @Test func missingBlocksAreReported() throws {
        var rng = SeededGenerator(seed: 5)
        let keys = RepoTestSupport.randomKeys(200, using: &rng)
        let built = try RepoTestSupport.tree(keys.map { ($0, RepoTestSupport.leaf) })
        let tree = MST(root: built.rootCID, reader: MemoryBlockStore())
        let error = #expect(throws: MSTError.self) { try tree.get(keys[0]) }
        #expect(error?.code == .missingBlock)
        #expect(error?.cid == built.rootCID)
    }

    @Test func nodeBlocksAreCanonicalDAGCBOR() throws {
        var rng = SeededGenerator(seed: 6)
        let keys = RepoTestSupport.randomKeys(300, using: &rng)
        let tree = try RepoTestSupport.tree(keys.map { ($0, RepoTestSupport.randomCID(using: &rng)) })
        var count = 0
        try tree.forEachNodeBlock { cid, bytes in
            count += 1
            let value = try DAGCBOR.decode(bytes)
            #expect(DAGCBOR.encode(value) == bytes)
            #expect(CID.dagCBOR(hashing: bytes) == cid)
            #expect(value["l"] != nil && value["e"] != nil)
        }
        #expect(count == tree.unstoredBlocks().count)
    }
}
