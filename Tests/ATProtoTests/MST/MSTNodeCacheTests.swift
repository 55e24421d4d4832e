import ATProto
import Testing

/// Decoded nodes reused across trees give exactly the results of reading every block again.
@Suite struct MSTNodeCacheTests {
    /// A block store that offers a node cache.
    struct CachingStore: BlockReader {
        var store = MemoryBlockStore()
        let nodeCache: MSTNodeCache?
        func readBlock(_ cid: CID) throws -> [UInt8]? { store.readBlock(cid) }
    }

    @Test(arguments: [11, 12, 13, 14] as [UInt64], [4, 4096])
    func cachedTreesBuildTheSameCommitsAsFreshReads(seed: UInt64, capacity: Int) throws {
        var rng = SeededGenerator(seed: seed)
        let cache = MSTNodeCache(capacity: capacity)
        var plain = MemoryBlockStore()
        var cached = CachingStore(nodeCache: cache)
        var root: CID?
        var live: [String] = []
        for round in 0..<30 {
            var writes: [RepoWrite] = []
            var used = Set<String>()
            for _ in 0..<(round == 0 ? 200 : Int.random(in: 1...8, using: &rng)) {
                let cid = CID.dagCBOR(hashing: rng.bytes(8))
                if Int.random(in: 0..<3, using: &rng) < 2 || live.isEmpty {
                    let path = RepoTestSupport.randomKey(using: &rng)
                    guard !live.contains(path), used.insert(path).inserted else { continue }
                    writes.append(.create(path: path, cid: cid))
                } else {
                    let path = live[Int.random(in: 0..<live.count, using: &rng)]
                    guard used.insert(path).inserted else { continue }
                    writes.append(Bool.random(using: &rng) ? .update(path: path, cid: cid) : .delete(path: path))
                }
            }
            let expected = try RepoBuilder.apply(writes, root: root, reader: plain)
            let got = try RepoBuilder.apply(writes, root: root, reader: cached)
            #expect(got.root == expected.root)
            #expect(got.ops == expected.ops)
            #expect(got.newNodeBlocks == expected.newNodeBlocks)
            #expect(got.removedNodeCIDs == expected.removedNodeCIDs)
            #expect(got.proofBlocks == expected.proofBlocks)
            plain.put(contentsOf: expected.newNodeBlocks)
            cached.store.put(contentsOf: got.newNodeBlocks)
            root = expected.root
            for write in writes {
                switch write {
                case .create(let path, _): live.append(path)
                case .delete(let path): live.removeAll { $0 == path }
                case .update: break
                }
            }
            #expect(cache.count <= 2 * capacity)
        }
        // The last tree reads the same through the cache as from its blocks.
        let fresh = MST(root: try #require(root), reader: plain)
        let viaCache = MST(root: try #require(root), reader: cached)
        #expect(try viaCache.allLeaves().map(\.key) == fresh.allLeaves().map(\.key))
        #expect(try viaCache.validate() == fresh.validate())
    }

    /// Counts block reads.
    final class ReadCounter: @unchecked Sendable {
        var reads = 0
    }

    struct CountingStore: BlockReader {
        let blocks: MemoryBlockStore
        let counter: ReadCounter
        let nodeCache: MSTNodeCache?
        func readBlock(_ cid: CID) throws -> [UInt8]? {
            counter.reads += 1
            return blocks.readBlock(cid)
        }
    }

    @Test func builtNodesAreServedFromTheCache() throws {
        let cache = MSTNodeCache()
        let writes: [RepoWrite] = (0..<300).map { .create(path: "app.bsky.feed.post/k\($0)", cid: RepoTestSupport.leaf) }
        let built = try RepoBuilder.apply(writes, root: nil, reader: CachingStore(nodeCache: cache))
        #expect(cache.count > 0)
        let blocks = MemoryBlockStore(built.newNodeBlocks)

        let uncached = CountingStore(blocks: blocks, counter: ReadCounter(), nodeCache: nil)
        let cached = CountingStore(blocks: blocks, counter: ReadCounter(), nodeCache: cache)
        for reader in [uncached, cached] {
            let tree = MST(root: built.root, reader: reader)
            #expect(try tree.leafCount() == 300)
            #expect(try tree.get("app.bsky.feed.post/k7") == RepoTestSupport.leaf)
        }
        // Every node the build made, keyless ones included, comes from the cache.
        #expect(uncached.counter.reads > 0)
        #expect(cached.counter.reads == 0)
    }

    /// A keyless node is cached with the layer it was built at and reused only there: loaded as a root, it is decoded
    /// again and refused as decoding refuses it (a root with no keys but a subtree).
    @Test func keylessNodesAreReusedOnlyWhereTheySit() throws {
        let cache = MSTNodeCache()
        let writes: [RepoWrite] = (0..<300).map { .create(path: "app.bsky.feed.post/k\($0)", cid: RepoTestSupport.leaf) }
        let built = try RepoBuilder.apply(writes, root: nil, reader: CachingStore(nodeCache: cache))
        let keyless = built.newNodeBlocks.filter { _, bytes in
            guard case .map(let fields) = try? DAGCBOR.decode(bytes), case .array(let entries) = fields["e"] else { return false }
            return entries.isEmpty
        }
        let (cid, _) = try #require(keyless.first)
        #expect(cache.node(cid) != nil)
        let blocks = MemoryBlockStore(built.newNodeBlocks)
        for nodeCache in [nil, cache] {
            let misplaced = MST(root: cid, reader: CountingStore(blocks: blocks, counter: ReadCounter(), nodeCache: nodeCache))
            #expect(throws: MSTError.self) { try misplaced.get("app.bsky.feed.post/k1") }
        }
    }
}
