import ATProto
import Testing

@Suite struct CommitProofFixtureTests {
    struct Fixture: Decodable {
        let comment: String
        let leafValue: String
        let keys: [String]
        let adds: [String]
        let dels: [String]
        let rootBeforeCommit: String
        let rootAfterCommit: String
        let blocksInProof: [String]
    }

    static func fixtures() throws -> [Fixture] {
        try Interop.decode([Fixture].self, from: "firehose/commit-proof-fixtures.json")
    }

    @Test func allSixFixturesRun() throws {
        #expect(try Self.fixtures().count == 6)
    }

    @Test(arguments: 0..<6)
    func fixture(_ index: Int) throws {
        let f = try Self.fixtures()[index]
        let leaf = try CID(string: f.leafValue)
        var store = MemoryBlockStore()
        let before = RepoTestSupport.persist(try RepoTestSupport.tree(f.keys.map { ($0, leaf) }), into: &store)
        #expect(before.rootCID.string == f.rootBeforeCommit, "\(f.comment)")

        var after = before
        for key in f.adds { try after.insert(key, leaf) }
        for key in f.dels { try after.delete(key) }
        #expect(after.rootCID.string == f.rootAfterCommit, "\(f.comment)")

        let proof = try after.coveringProof(for: f.adds + f.dels)
        #expect(Set(proof.keys.map(\.string)) == Set(f.blocksInProof), "\(f.comment)")
        for (cid, bytes) in proof { #expect(CID.dagCBOR(hashing: bytes) == cid) }

        // Inversion with only the proof blocks and the leaf value gives back the previous root.
        let ops =
            f.adds.map { RepoOperation(action: .create, path: $0, cid: leaf, prev: nil) }
            + f.dels.map { RepoOperation(action: .delete, path: $0, cid: nil, prev: leaf) }
        try CommitProof.verifyInversion(newRoot: after.rootCID, prevData: before.rootCID, ops: ops, blocks: proof)
        // In every order, as the reference test does.
        for order in Self.permutations(ops) {
            try CommitProof.verifyInversion(newRoot: after.rootCID, prevData: before.rootCID, ops: order, blocks: proof)
        }

        // A wrong prevData is caught.
        #expect(throws: CommitError.self) {
            try CommitProof.verifyInversion(newRoot: after.rootCID, prevData: after.rootCID, ops: ops, blocks: proof)
        }
    }

    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        var out: [[T]] = []
        for (i, item) in items.enumerated() {
            var rest = items
            rest.remove(at: i)
            out += permutations(rest).map { [item] + $0 }
        }
        return out
    }
}
