import ATProto
import Testing

/// Nodes read from storage are checked; crafted bad nodes must fail with a clear typed error.
@Suite struct MSTValidationTests {
    /// Keys `com.example.record/<n>` of the wanted height, in order.
    static func keys(height: Int, count: Int) -> [String] {
        var out: [String] = []
        var n = 0
        while out.count < count {
            let key = "com.example.record/\(100_000 + n)"
            if MSTKey.height(key) == height { out.append(key) }
            n += 1
        }
        return out
    }

    struct RawEntry {
        var key: String
        var value: CID = RepoTestSupport.leaf
        var right: CID? = nil
        var prefix: Int? = nil
    }

    /// Encodes a node by hand (prefix compression unless overridden).
    static func node(_ entries: [RawEntry], left: CID? = nil, dropT: Bool = false) -> [UInt8] {
        var previous: [UInt8] = []
        var list: [DataValue] = []
        for e in entries {
            let key = Array(e.key.utf8)
            let p = e.prefix ?? MSTKey.commonPrefixLength(previous, key)
            var map: [String: DataValue] = [
                "k": .bytes(Array(key[min(p, key.count)...])), "p": .int(Int64(p)), "v": .link(e.value),
                "t": e.right.map { .link($0) } ?? .null,
            ]
            if dropT { map["t"] = nil }
            list.append(.map(map))
            previous = key
        }
        return DAGCBOR.encode(.map(["e": .array(list), "l": left.map { .link($0) } ?? .null]))
    }

    /// Loads `rootBytes` (plus `extra` blocks) as a tree and runs a full validation.
    static func check(_ rootBytes: [UInt8], extra: [[UInt8]] = []) throws(MSTError) {
        var store = MemoryBlockStore()
        let root = store.putDAGCBOR(rootBytes)
        for block in extra { store.putDAGCBOR(block) }
        try MST(root: root, reader: store).validate()
    }

    static func expectFailure(_ code: MSTError.Code, _ rootBytes: [UInt8], extra: [[UInt8]] = [], _ comment: Comment) {
        let error = #expect(throws: MSTError.self, comment) { try check(rootBytes, extra: extra) }
        #expect(error?.code == code, comment)
    }

    @Test func wellFormedHandMadeNodesPass() throws {
        let zero = Self.keys(height: 0, count: 3)
        try Self.check(Self.node(zero.map { RawEntry(key: $0) }))
        let one = Self.keys(height: 1, count: 1)[0]
        let lowChild = Self.node(zero.filter { $0 < one }.map { RawEntry(key: $0) })
        let highChild = Self.node(zero.filter { $0 > one }.map { RawEntry(key: $0) })
        let root = Self.node(
            [RawEntry(key: one, right: zero.contains { $0 > one } ? CID.dagCBOR(hashing: highChild) : nil)],
            left: zero.contains { $0 < one } ? CID.dagCBOR(hashing: lowChild) : nil)
        try Self.check(root, extra: [lowChild, highChild])
    }

    @Test func rejectsUnsortedAndDuplicateKeys() {
        let zero = Self.keys(height: 0, count: 3)
        Self.expectFailure(.invalidStructure, Self.node([zero[1], zero[0], zero[2]].map { RawEntry(key: $0) }), "unsorted")
        Self.expectFailure(.invalidStructure, Self.node([zero[0], zero[0]].map { RawEntry(key: $0) }), "duplicate")
    }

    @Test func rejectsWrongHeights() {
        let zero = Self.keys(height: 0, count: 2)
        let one = Self.keys(height: 1, count: 2)
        let mixed = (zero + [one[0]]).sorted().map { RawEntry(key: $0) }
        Self.expectFailure(.invalidStructure, Self.node(mixed), "mixed heights in one node")

        // A child one layer too high: a layer-1 node under a layer-1 root.
        let child = Self.node([RawEntry(key: one[0])])
        let root = Self.node([RawEntry(key: one[1])], left: CID.dagCBOR(hashing: child))
        Self.expectFailure(.invalidStructure, root, extra: [child], "child at the parent's layer")

        // A layer-0 node with a subtree.
        let leafChild = Self.node([RawEntry(key: zero[0])])
        Self.expectFailure(.invalidStructure, Self.node([RawEntry(key: zero[1])], left: CID.dagCBOR(hashing: leafChild)), extra: [leafChild], "layer 0 subtree")
    }

    @Test func rejectsEmptyNodesAndUntrimmedRoots() {
        let one = Self.keys(height: 1, count: 1)[0]
        let empty = Self.node([])
        Self.expectFailure(.invalidStructure, Self.node([RawEntry(key: one)], left: CID.dagCBOR(hashing: empty)), extra: [empty], "empty child")
        let zero = Self.keys(height: 0, count: 1)
        let child = Self.node(zero.map { RawEntry(key: $0) })
        let chainRoot = Self.node([], left: CID.dagCBOR(hashing: child))
        Self.expectFailure(.invalidStructure, chainRoot, extra: [child], "root with only a subtree")
    }

    @Test func rejectsKeysOutsideTheirParentsRange() {
        let one = Self.keys(height: 1, count: 1)[0]
        let zero = Self.keys(height: 0, count: 40)
        // Put keys greater than the parent key into its left subtree.
        let wrong = zero.filter { $0 > one }.prefix(2).map { RawEntry(key: $0) }
        let child = Self.node(Array(wrong))
        Self.expectFailure(.invalidStructure, Self.node([RawEntry(key: one)], left: CID.dagCBOR(hashing: child)), extra: [child], "subtree out of range")
    }

    @Test func rejectsMalformedEncodings() {
        let zero = Self.keys(height: 0, count: 2)
        Self.expectFailure(.malformedNode, [0x01, 0x02], "not CBOR")
        Self.expectFailure(.malformedNode, DAGCBOR.encode(.array([])), "not a map")
        Self.expectFailure(.malformedNode, DAGCBOR.encode(.map(["e": .array([])])), "missing l")
        Self.expectFailure(.malformedNode, DAGCBOR.encode(.map(["e": .array([]), "l": .null, "x": 1])), "extra field")
        Self.expectFailure(.malformedNode, Self.node(zero.map { RawEntry(key: $0) }, dropT: true), "missing t")
        Self.expectFailure(.malformedNode, Self.node([RawEntry(key: zero[0], prefix: 3)]), "first prefix not 0")
        var short = zero.map { RawEntry(key: $0) }
        short[1].prefix = 2
        Self.expectFailure(.malformedNode, Self.node(short), "prefix not maximal")
        Self.expectFailure(.malformedNode, DAGCBOR.encode(.map(["e": .array([.map(["k": "x", "p": 0, "t": .null, "v": .link(RepoTestSupport.leaf)])]), "l": .null])), "k not bytes")
    }

    @Test func rejectsInvalidKeysAndOversizedNodes() {
        Self.expectFailure(.invalidStructure, Self.node([RawEntry(key: "no-slash")]), "key without slash")
        let many = Self.keys(height: 0, count: MSTNode.maxEntries + 1)
        Self.expectFailure(.invalidStructure, Self.node(many.map { RawEntry(key: $0) }), "too many entries")
    }

    @Test func mutatedNodesNeverCrash() throws {
        var rng = SeededGenerator(seed: 31)
        let keys = RepoTestSupport.randomKeys(120, using: &rng)
        let tree = try RepoTestSupport.tree(keys.map { ($0, RepoTestSupport.leaf) })
        let blocks = tree.unstoredBlocks()
        var rejected = 0
        for _ in 0..<400 {
            var store = MemoryBlockStore(blocks)
            let (cid, original) = blocks.randomElement(using: &rng)!
            var bytes = original
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if Bool.random(using: &rng) { bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng))) }
            // The mutated bytes are served under the original CID, as a corrupt store would.
            store.put(cid, bytes)
            do {
                try MST(root: tree.rootCID, reader: store).validate()
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > 300)
    }
}
