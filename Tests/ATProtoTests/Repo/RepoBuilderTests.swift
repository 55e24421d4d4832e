import ATProto
import Testing

@Suite struct RepoBuilderTests {
    /// Random batches applied to a stored repo, each followed by the relay's check: inversion with only the
    /// event's blocks (proof nodes, new records, commit) gives back the previous root.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func randomBatchesInvertToThePreviousRoot(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let key = K256PrivateKey()
        let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
        var store = MemoryBlockStore()
        var root: CID? = nil
        var live: [String: CID] = [:]
        var records: [CID: [UInt8]] = [:]
        let generator = TIDGenerator()
        for round in 0..<25 {
            var writes: [RepoWrite] = []
            var used = Set<String>()
            let size = round == 0 ? Int.random(in: 1...150, using: &rng) : Int.random(in: 1...12, using: &rng)
            for _ in 0..<size {
                let roll = Int.random(in: 0..<4, using: &rng)
                let bytes = DAGCBOR.encode(.map(["text": .bytes(rng.bytes(8))]))
                let cid = CID.dagCBOR(hashing: bytes)
                if roll < 2 || live.isEmpty {
                    let path = RepoTestSupport.randomKey(using: &rng)
                    guard live[path] == nil, used.insert(path).inserted else { continue }
                    writes.append(.create(path: path, cid: cid))
                    records[cid] = bytes
                } else {
                    let path = live.keys.sorted()[Int.random(in: 0..<live.count, using: &rng)]
                    guard used.insert(path).inserted else { continue }
                    if roll == 2 {
                        writes.append(.update(path: path, cid: cid))
                        records[cid] = bytes
                    } else {
                        writes.append(.delete(path: path))
                    }
                }
            }
            let result = try RepoBuilder.apply(writes, root: root, reader: store)
            #expect(result.previousRoot == root)
            #expect(result.ops.count == writes.count)
            for (op, write) in zip(result.ops, writes) {
                #expect(op.path == write.path)
                switch write {
                case .create(_, let cid): #expect(op.action == .create && op.cid == cid && op.prev == nil)
                case .update(let path, let cid): #expect(op.action == .update && op.cid == cid && op.prev == live[path])
                case .delete(let path): #expect(op.action == .delete && op.cid == nil && op.prev == live[path])
                }
            }

            // The event a relay sees: proof nodes + new records + the signed commit.
            let commit = try UnsignedCommit(did: did, data: result.root, rev: generator.next().string).signed(with: key)
            let block = commit.block()
            var eventBlocks = result.proofBlocks
            for op in result.ops { if let cid = op.cid { eventBlocks[cid] = records[cid] } }
            eventBlocks[block.cid] = block.bytes
            let car = CARWriter.encode(roots: [block.cid], blocks: eventBlocks.map { CARBlock(cid: $0.key, bytes: $0.value) })
            let (roots, carBlocks) = try CARReader.read(car)
            let received = Dictionary(carBlocks.map { ($0.cid, $0.bytes) }, uniquingKeysWith: { a, _ in a })
            let decoded = try CommitProof.verifyInversion(
                commit: try #require(roots.first), prevData: root, ops: result.ops, blocks: received, requireRecordBlocks: true)
            #expect(decoded.verifySignature(with: key.publicKey), "seed \(seed) round \(round)")
            // A relay may invert the operations in any order: the proof must hold for every order.
            for _ in 0..<3 {
                try CommitProof.verifyInversion(newRoot: result.root, prevData: root, ops: result.ops.shuffled(using: &rng), blocks: received)
            }

            // Wrong prevData or a doctored op is caught.
            let wrong = #expect(throws: CommitError.self) {
                try CommitProof.verifyInversion(newRoot: result.root, prevData: result.root, ops: result.ops, blocks: received)
            }
            #expect(wrong?.code == .rootMismatch || result.root == (root ?? MST.emptyRootCID))
            if let first = result.ops.first(where: { $0.action != .delete }) {
                let doctored = result.ops.map { $0 == first ? RepoOperation(action: first.action, path: first.path, cid: RepoTestSupport.leaf, prev: first.prev) : $0 }
                let error = #expect(throws: CommitError.self) {
                    try CommitProof.verifyInversion(newRoot: result.root, prevData: root, ops: doctored, blocks: received)
                }
                #expect(error?.code == .operationMismatch)
            }

            // Store exactly the new nodes, drop the removed ones: the stored repo stays complete.
            for cid in result.removedNodeCIDs { #expect(store.blocks[cid] != nil) }
            #expect(Set(result.newNodeBlocks.keys).isDisjoint(with: result.removedNodeCIDs))
            var next = MemoryBlockStore()
            for (cid, bytes) in store.blocks where !result.removedNodeCIDs.contains(cid) { next.put(cid, bytes) }
            next.put(contentsOf: result.newNodeBlocks)
            let reloaded = MST(root: result.root, reader: next)
            for write in writes {
                switch write {
                case .create(let path, let cid), .update(let path, let cid): live[path] = cid
                case .delete(let path): live[path] = nil
                }
            }
            #expect(try reloaded.validate() == live.count, "seed \(seed) round \(round)")
            #expect(try reloaded.allLeaves().map(\.key) == live.keys.sorted())
            #expect(try RepoTestSupport.nodeCIDs(reloaded).count == next.count, "only reachable nodes are kept")
            store = next
            root = result.root
        }
    }

    @Test func writeErrorsAreTyped() throws {
        var store = MemoryBlockStore()
        let first = try RepoBuilder.apply([.create(path: "a/b", cid: RepoTestSupport.leaf)], root: nil, reader: store)
        store.put(contentsOf: first.newNodeBlocks)
        let cases: [(RepoWrite, String)] = [
            (.create(path: "a/b", cid: RepoTestSupport.leaf), "exists"), (.update(path: "a/c", cid: RepoTestSupport.leaf), "update missing"),
            (.delete(path: "a/c"), "delete missing"), (.create(path: "bad key", cid: RepoTestSupport.leaf), "bad key"),
        ]
        for (write, name) in cases {
            let error = #expect(throws: CommitError.self, "\(name)") { try RepoBuilder.apply([write], root: first.root, reader: store) }
            #expect(error?.code == .invalidWrite, "\(name)")
        }
        let twice = #expect(throws: CommitError.self) {
            try RepoBuilder.apply([.create(path: "a/x", cid: RepoTestSupport.leaf), .delete(path: "a/x")], root: first.root, reader: store)
        }
        #expect(twice?.code == .invalidWrite)
        let missing = #expect(throws: CommitError.self) {
            try RepoBuilder.apply([.delete(path: "a/b")], root: first.root, reader: MemoryBlockStore())
        }
        #expect(missing?.code == .missingBlock)
    }

    @Test func incompleteProofsAreDetected() throws {
        var rng = SeededGenerator(seed: 99)
        let keys = RepoTestSupport.randomKeys(300, using: &rng)
        var store = MemoryBlockStore()
        let tree = RepoTestSupport.persist(try RepoTestSupport.tree(keys.map { ($0, RepoTestSupport.leaf) }), into: &store)
        let result = try RepoBuilder.apply([.delete(path: keys[150]), .create(path: RepoTestSupport.randomKey(using: &rng), cid: RepoTestSupport.leaf)], root: tree.rootCID, reader: store)
        try CommitProof.verifyInversion(newRoot: result.root, prevData: tree.rootCID, ops: result.ops, blocks: result.proofBlocks)
        // Every proof block is needed: removing any one of them makes the check fail with missingBlock.
        for cid in result.proofBlocks.keys {
            var partial = result.proofBlocks
            partial[cid] = nil
            let error = #expect(throws: CommitError.self) {
                try CommitProof.verifyInversion(newRoot: result.root, prevData: tree.rootCID, ops: result.ops, blocks: partial)
            }
            #expect(error?.code == .missingBlock)
        }
        let noRecords = #expect(throws: CommitError.self) {
            try CommitProof.verifyInversion(newRoot: result.root, prevData: tree.rootCID, ops: result.ops, blocks: result.proofBlocks, requireRecordBlocks: true)
        }
        #expect(noRecords?.code == .missingBlock)
    }
}
