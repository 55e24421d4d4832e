import ATProto

/// Shared helpers for the MST, CAR and repo tests.
enum RepoTestSupport {
    /// The leaf value the interop fixtures use.
    static let leaf = try! CID(string: "bafyreie5cvv4h45feadgeuwhbcutmh6t2ceseocckahdoe6uat64zmz454")

    static let collections = ["app.bsky.feed.post", "app.bsky.feed.like", "app.bsky.graph.follow", "com.example.record"]
    private static let rkeyAlphabet = Array("234567abcdefghijklmnopqrstuvwxyz".utf8)

    /// A random valid key: one of a few collections and a 13-character TID-like rkey.
    static func randomKey(using rng: inout SeededGenerator) -> String {
        let collection = collections[Int.random(in: 0..<collections.count, using: &rng)]
        let rkey = (0..<13).map { _ in rkeyAlphabet[Int.random(in: 0..<rkeyAlphabet.count, using: &rng)] }
        return collection + "/" + String(decoding: rkey, as: UTF8.self)
    }

    static func randomKeys(_ count: Int, using rng: inout SeededGenerator) -> [String] {
        var keys = Set<String>()
        while keys.count < count { keys.insert(randomKey(using: &rng)) }
        return keys.sorted()
    }

    /// A random record-like CID.
    static func randomCID(using rng: inout SeededGenerator) -> CID {
        CID.dagCBOR(hashing: rng.bytes(16))
    }

    /// Builds a tree holding `pairs`, inserting in the given order.
    static func tree(_ pairs: [(String, CID)], reader: any BlockReader = MemoryBlockStore()) throws -> MST {
        var tree = MST(reader: reader)
        for (key, value) in pairs { try tree.insert(key, value) }
        return tree
    }

    /// Stores the new nodes of `tree` in `store` and returns the same tree loaded lazily from the store.
    static func persist(_ tree: MST, into store: inout MemoryBlockStore) -> MST {
        store.put(contentsOf: tree.unstoredBlocks())
        return MST(root: tree.rootCID, reader: store)
    }

    /// Every node CID reachable from `tree`'s root.
    static func nodeCIDs(_ tree: MST) throws -> Set<CID> {
        var out = Set<CID>()
        try tree.forEachNodeBlock { cid, _ in out.insert(cid) }
        return out
    }
}

/// A reader that counts its reads.
final class CountingReader: BlockReader, @unchecked Sendable {
    let store: MemoryBlockStore
    private(set) var reads = 0

    init(_ store: MemoryBlockStore) { self.store = store }

    func readBlock(_ cid: CID) throws -> [UInt8]? {
        reads += 1
        return store.readBlock(cid)
    }
}
