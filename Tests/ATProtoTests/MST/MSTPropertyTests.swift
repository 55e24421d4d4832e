import ATProto
import Testing

@Suite struct MSTPropertyTests {
    @Test(arguments: [11, 22, 33, 44, 55])
    func sameRootWhateverTheInsertionAndDeletionOrder(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let keys = RepoTestSupport.randomKeys(Int.random(in: 1...300, using: &rng), using: &rng)
        let pairs = keys.map { ($0, RepoTestSupport.randomCID(using: &rng)) }
        let root = try RepoTestSupport.tree(pairs).rootCID
        #expect(try RepoTestSupport.tree(pairs.shuffled(using: &rng)).rootCID == root, "seed \(seed)")

        // Extra keys inserted then deleted (in another random order) leave the same root.
        let extra = RepoTestSupport.randomKeys(100, using: &rng).filter { !keys.contains($0) }
        var tree = try RepoTestSupport.tree((pairs + extra.map { ($0, RepoTestSupport.leaf) }).shuffled(using: &rng))
        var store = MemoryBlockStore()
        tree = RepoTestSupport.persist(tree, into: &store)
        for key in extra.shuffled(using: &rng) { try tree.delete(key) }
        #expect(tree.rootCID == root, "seed \(seed)")
        #expect(try tree.validate() == keys.count)

        // Deleting everything in random order ends in the empty tree.
        for key in keys.shuffled(using: &rng) { try tree.delete(key) }
        #expect(tree.rootCID == MST.emptyRootCID, "seed \(seed)")
    }

    @Test(arguments: [101, 202, 303, 404, 505, 606])
    func diffMatchesTheChangesAndItsBlocksAreExact(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let keys = RepoTestSupport.randomKeys(Int.random(in: 0...400, using: &rng), using: &rng)
        var store = MemoryBlockStore()
        let old = RepoTestSupport.persist(try RepoTestSupport.tree(keys.map { ($0, RepoTestSupport.randomCID(using: &rng)) }), into: &store)
        var new = old
        var expected: [String: (CID?, CID?)] = [:]
        for _ in 0..<Int.random(in: 0...60, using: &rng) {
            let roll = Int.random(in: 0..<3, using: &rng)
            if roll == 0 || keys.isEmpty {
                let key = RepoTestSupport.randomKey(using: &rng)
                if try new.get(key) != nil { continue }
                let value = RepoTestSupport.randomCID(using: &rng)
                try new.insert(key, value)
                expected[key] = (expected[key]?.0 ?? nil, value)
            } else {
                let key = keys[Int.random(in: 0..<keys.count, using: &rng)]
                guard let current = try new.get(key) else { continue }
                let original = expected[key]?.0 ?? current
                if roll == 1 {
                    let value = RepoTestSupport.randomCID(using: &rng)
                    try new.update(key, value)
                    expected[key] = (original, value)
                } else {
                    try new.delete(key)
                    expected[key] = (original, nil)
                }
            }
        }
        let diff = try MST.diff(from: old, to: new)
        let want = expected.filter { $0.value.0 != $0.value.1 }.map { MSTDiffEntry(key: $0.key, old: $0.value.0, new: $0.value.1) }
        #expect(diff.entries == want.sorted { $0.key < $1.key }, "seed \(seed)")

        // Applying the diff to the old tree gives the new one.
        var replay = old
        for entry in diff.entries {
            switch (entry.old, entry.new) {
            case (nil, let v?): try replay.insert(entry.key, v)
            case (_?, let v?): try replay.update(entry.key, v)
            case (_?, nil): try replay.delete(entry.key)
            case (nil, nil): Issue.record("empty diff entry")
            }
        }
        #expect(replay.rootCID == new.rootCID, "seed \(seed)")

        // Node blocks: exactly the set differences of the two trees' nodes.
        let oldNodes = try RepoTestSupport.nodeCIDs(old)
        let newNodes = try RepoTestSupport.nodeCIDs(new)
        #expect(Set(diff.newNodes.keys) == newNodes.subtracting(oldNodes), "seed \(seed)")
        #expect(diff.removedNodes == oldNodes.subtracting(newNodes), "seed \(seed)")
        // The reverse diff mirrors it.
        let back = try MST.diff(from: new, to: old)
        #expect(back.entries.map { MSTDiffEntry(key: $0.key, old: $0.new, new: $0.old) } == diff.entries)

        // From nothing: every key is a create and every node is new.
        let fresh = try MST.diff(from: nil, to: new)
        #expect(fresh.entries.count == (try new.leafCount()))
        #expect(Set(fresh.newNodes.keys) == newNodes)
    }

    @Test func diffReadsOnlyChangedPaths() throws {
        var rng = SeededGenerator(seed: 77)
        let keys = RepoTestSupport.randomKeys(5000, using: &rng)
        var store = MemoryBlockStore()
        let base = RepoTestSupport.persist(try RepoTestSupport.tree(keys.map { ($0, RepoTestSupport.leaf) }), into: &store)
        var changed = base
        try changed.delete(keys[2500])
        try changed.insert(RepoTestSupport.randomKey(using: &rng), RepoTestSupport.leaf)
        changed = RepoTestSupport.persist(changed, into: &store)
        let reader = CountingReader(store)
        let diff = try MST.diff(from: MST(root: base.rootCID, reader: reader), to: MST(root: changed.rootCID, reader: reader))
        #expect(diff.entries.count == 2)
        // The tree has ~1700 nodes; a two-key diff must read a small fraction.
        #expect(reader.reads < 120, "read \(reader.reads) nodes")
    }
}
