import ATProto
import Testing

@Suite struct MSTInteropTests {
    struct HeightCase: Decodable {
        let key: String
        let height: Int
    }

    struct PrefixCase: Decodable {
        let left: String
        let right: String
        let len: Int
    }

    @Test func keyHeights() throws {
        let cases = try Interop.decode([HeightCase].self, from: "mst/key_heights.json")
        #expect(cases.count == 9)
        for c in cases {
            #expect(MSTKey.height(c.key) == c.height, "key \(c.key.debugDescription)")
        }
    }

    @Test func commonPrefix() throws {
        let cases = try Interop.decode([PrefixCase].self, from: "mst/common_prefix.json")
        #expect(cases.count == 13)
        for c in cases {
            #expect(MSTKey.commonPrefixLength(c.left, c.right) == c.len, "\(c.left.debugDescription) vs \(c.right.debugDescription)")
        }
    }

    @Test func exampleKeysAreValidAndOrderIndependent() throws {
        let keys = try Interop.lines("mst/example_keys.txt")
        #expect(keys.count == 156)
        for key in keys { #expect(MSTKey.isValid(key), "\(key)") }
        let leaf = RepoTestSupport.leaf
        let sorted = try RepoTestSupport.tree(keys.map { ($0, leaf) })
        let root = sorted.rootCID
        #expect(try sorted.leafCount() == 156)
        #expect(try sorted.validate() == 156)
        #expect(try RepoTestSupport.tree(keys.reversed().map { ($0, leaf) }).rootCID == root)
        var rng = SeededGenerator(seed: 156)
        for _ in 0..<5 {
            #expect(try RepoTestSupport.tree(keys.shuffled(using: &rng).map { ($0, leaf) }).rootCID == root)
        }
        // Every key reads back, also through a lazily loaded copy.
        var store = MemoryBlockStore()
        let stored = RepoTestSupport.persist(sorted, into: &store)
        for key in keys { #expect(try stored.get(key) == leaf) }
        #expect(try stored.allLeaves().map(\.key) == keys.sorted())
    }

    @Test func knownMaps() throws {
        let leaf = RepoTestSupport.leaf
        var tree = MST(reader: MemoryBlockStore())
        #expect(tree.rootCID.string == "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm")
        #expect(MST.emptyRootCID == tree.rootCID)
        #expect(try tree.leafCount() == 0)

        tree = try MST(reader: MemoryBlockStore()).inserting("com.example.record/3jqfcqzm3fo2j", leaf)
        #expect(tree.rootCID.string == "bafyreibj4lsc3aqnrvphp5xmrnfoorvru4wynt6lwidqbm2623a6tatzdu")

        tree = try MST(reader: MemoryBlockStore()).inserting("com.example.record/3jqfcqzm3fx2j", leaf)
        #expect(MSTKey.height("com.example.record/3jqfcqzm3fx2j") == 2)
        #expect(tree.rootCID.string == "bafyreih7wfei65pxzhauoibu3ls7jgmkju4bspy4t2ha2qdjnzqvoy33ai")

        tree = try RepoTestSupport.tree(
            ["3jqfcqzm3fp2j", "3jqfcqzm3fr2j", "3jqfcqzm3fs2j", "3jqfcqzm3ft2j", "3jqfcqzm4fc2j"].map { ("com.example.record/" + $0, leaf) })
        #expect(try tree.leafCount() == 5)
        #expect(tree.rootCID.string == "bafyreicmahysq4n6wfuxo522m6dpiy7z7qzym3dzs756t5n7nfdgccwq7m")
    }

    @Test func trimsTopOnDelete() throws {
        let leaf = RepoTestSupport.leaf
        var tree = try RepoTestSupport.tree(
            ["3jqfcqzm3fn2j", "3jqfcqzm3fo2j", "3jqfcqzm3fp2j", "3jqfcqzm3fs2j", "3jqfcqzm3ft2j", "3jqfcqzm3fu2j"].map {
                ("com.example.record/" + $0, leaf)
            })
        #expect(tree.rootCID.string == "bafyreifnqrwbk6ffmyaz5qtujqrzf5qmxf7cbxvgzktl4e3gabuxbtatv4")
        try tree.delete("com.example.record/3jqfcqzm3fs2j")
        #expect(try tree.leafCount() == 5)
        #expect(tree.rootCID.string == "bafyreie4kjuxbwkhzg2i5dljaswcroeih4dgiqq6pazcmunwt2byd725vi")
    }

    @Test func insertionThatSplitsTwoLayersDown() throws {
        let leaf = RepoTestSupport.leaf
        let names = [
            "3jqfcqzm3fo2j", "3jqfcqzm3fp2j", "3jqfcqzm3fr2j", "3jqfcqzm3fs2j", "3jqfcqzm3ft2j", "3jqfcqzm3fz2j",
            "3jqfcqzm4fc2j", "3jqfcqzm4fd2j", "3jqfcqzm4ff2j", "3jqfcqzm4fg2j", "3jqfcqzm4fh2j",
        ]
        var store = MemoryBlockStore()
        var tree = RepoTestSupport.persist(try RepoTestSupport.tree(names.map { ("com.example.record/" + $0, leaf) }), into: &store)
        let l1 = "bafyreiettyludka6fpgp33stwxfuwhkzlur6chs4d2v4nkmq2j3ogpdjem"
        #expect(tree.rootCID.string == l1)
        try tree.insert("com.example.record/3jqfcqzm3fx2j", leaf)
        #expect(tree.rootCID.string == "bafyreid2x5eqs4w4qxvc5jiwda4cien3gw2q6cshofxwnvv7iucrmfohpm")
        #expect(try tree.leafCount() == 12)
        try tree.delete("com.example.record/3jqfcqzm3fx2j")
        #expect(tree.rootCID.string == l1)
    }

    @Test func newLayersTwoHigherThanExisting() throws {
        let leaf = RepoTestSupport.leaf
        let a = "com.example.record/3jqfcqzm3ft2j"
        let b = "com.example.record/3jqfcqzm3fx2j"
        let c = "com.example.record/3jqfcqzm3fz2j"
        let d = "com.example.record/3jqfcqzm4fd2j"
        let l0 = "bafyreidfcktqnfmykz2ps3dbul35pepleq7kvv526g47xahuz3rqtptmky"
        let l2 = "bafyreiavxaxdz7o7rbvr3zg2liox2yww46t7g6hkehx4i4h3lwudly7dhy"
        var tree = try RepoTestSupport.tree([(a, leaf), (c, leaf)])
        #expect(tree.rootCID.string == l0)
        try tree.insert(b, leaf)
        #expect(tree.rootCID.string == l2)
        try tree.delete(b)
        #expect(tree.rootCID.string == l0)
        try tree.insert(b, leaf)
        try tree.insert(d, leaf)
        #expect(tree.rootCID.string == "bafyreig4jv3vuajbsybhyvb7gggvpwh2zszwfyttjrj6qwvcsp24h6popu")
        try tree.delete(d)
        #expect(tree.rootCID.string == l2)
    }
}
