import ATProto
import Testing

@Suite struct RepoExportTests {
    @Test func exportThenImportRoundTrip() throws {
        var rng = SeededGenerator(seed: 21)
        let key = K256PrivateKey()
        let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
        var store = MemoryBlockStore()
        var writes: [RepoWrite] = []
        for path in RepoTestSupport.randomKeys(250, using: &rng) {
            let cid = store.putDAGCBOR(DAGCBOR.encode(.map(["text": .string(path)])))
            writes.append(.create(path: path, cid: cid))
        }
        let result = try RepoBuilder.apply(writes, root: nil, reader: store)
        store.put(contentsOf: result.newNodeBlocks)
        let commit = try UnsignedCommit(did: did, data: result.root, rev: TIDGenerator().next().string).signed(with: key)
        let commitBlock = commit.block()
        store.put(commitBlock.cid, commitBlock.bytes)

        var car: [UInt8] = []
        var writer = try CARWriter(roots: [commitBlock.cid], chunkSize: 1000) { car.append(contentsOf: $0) }
        try RepoExport.write(commit: commitBlock.cid, reader: store, to: &writer)
        try writer.finish()
        #expect(writer.blocksWritten == 1 + result.newNodeBlocks.count + 250)

        let (roots, blocks) = try CARReader.read(car)
        #expect(roots == [commitBlock.cid])
        #expect(blocks.first?.cid == commitBlock.cid)
        #expect(blocks.dropFirst().first?.cid == result.root)
        let map = Dictionary(blocks.map { ($0.cid, $0.bytes) }, uniquingKeysWith: { a, _ in a })
        let verified = try RepoExport.verify(commit: commitBlock.cid, blocks: map, did: did, key: key.publicKey)
        #expect(verified.commit == commit)
        #expect(verified.records.map(\.key) == writes.map(\.path).sorted())

        #expect((#expect(throws: CommitError.self) { try RepoExport.verify(commit: commitBlock.cid, blocks: map, did: "did:plc:other") })?.code == .invalidCommit)
        #expect((#expect(throws: CommitError.self) { try RepoExport.verify(commit: commitBlock.cid, blocks: map, key: K256PrivateKey().publicKey) })?.code == .invalidCommit)
        var missingRecord = map
        missingRecord[verified.records[100].value] = nil
        #expect((#expect(throws: CommitError.self) { try RepoExport.verify(commit: commitBlock.cid, blocks: missingRecord) })?.code == .missingBlock)
        var missingNode = map
        missingNode[result.root] = nil
        #expect((#expect(throws: CommitError.self) { try RepoExport.verify(commit: commitBlock.cid, blocks: missingNode) })?.code == .missingBlock)
    }

    @Test func recordProofsProveInclusionAndExclusion() throws {
        var rng = SeededGenerator(seed: 22)
        let key = K256PrivateKey()
        var store = MemoryBlockStore()
        var writes: [RepoWrite] = []
        for path in RepoTestSupport.randomKeys(500, using: &rng) {
            writes.append(.create(path: path, cid: store.putDAGCBOR(DAGCBOR.encode(.map(["p": .string(path)])))))
        }
        let result = try RepoBuilder.apply(writes, root: nil, reader: store)
        store.put(contentsOf: result.newNodeBlocks)
        let block = try UnsignedCommit(did: "did:plc:ewvi7nxzyoun6zhxrhs64oiz", data: result.root, rev: TIDGenerator().next().string)
            .signed(with: key).block()
        store.put(block.cid, block.bytes)

        let present = writes[123].path
        let absent = RepoTestSupport.randomKey(using: &rng)
        let tree = MST(root: result.root, reader: store)
        let presentCID = try #require(try tree.get(present))
        let cases: [(String, CID?)] = [(present, presentCID), (absent, nil)]
        for (path, expected) in cases {
            var car: [UInt8] = []
            var writer = try CARWriter(roots: [block.cid]) { car.append(contentsOf: $0) }
            try RepoExport.writeRecordProofs(commit: block.cid, paths: [path], reader: store, to: &writer)
            try writer.finish()
            let (roots, blocks) = try CARReader.read(car)
            #expect(roots == [block.cid])
            // Commit, a handful of path nodes, at most one record: not the whole repo.
            #expect(blocks.count < 16)
            let map = Dictionary(blocks.map { ($0.cid, $0.bytes) }, uniquingKeysWith: { a, _ in a })
            let proven = try RepoExport.verifyRecordProof(commit: block.cid, path: path, blocks: map, key: key.publicKey)
            #expect(proven?.cid == expected)
            let (nodes, value) = try tree.path(to: path)
            #expect(value == expected)
            #expect(nodes.first?.cid == result.root)
        }
        // Without the path nodes the proof fails.
        let error = #expect(throws: CommitError.self) {
            try RepoExport.verifyRecordProof(commit: block.cid, path: present, blocks: [block.cid: block.bytes])
        }
        #expect(error?.code == .missingBlock)
    }
}
