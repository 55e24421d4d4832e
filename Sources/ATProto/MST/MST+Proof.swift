// MARK: - Covering proofs (sync v1.1)

extension MST {
    /// The node blocks a consumer needs, besides the record blocks, to prove `key`'s presence or absence in
    /// this tree and to invert a write of it: the path to the key plus the paths to its neighbours, i.e. the
    /// rightmost path of the subtree left of the key and the leftmost path of the subtree right of it (for
    /// an absent key, the path to where it would be). Same set as the reference `getCoveringProof`.
    public func coveringProof(for key: String) throws(MSTError) -> [CID: [UInt8]] {
        var blocks: [CID: [UInt8]] = [:]
        try addCoveringProof(for: try MSTKey.validated(key), into: &blocks)
        return blocks
    }

    /// The union of ``coveringProof(for:)`` over `keys`: the proof part of a commit that writes them.
    public func coveringProof(for keys: some Sequence<String>) throws(MSTError) -> [CID: [UInt8]] {
        var blocks: [CID: [UInt8]] = [:]
        for key in keys { try addCoveringProof(for: try MSTKey.validated(key), into: &blocks) }
        return blocks
    }

    func addCoveringProof(for key: [UInt8], into blocks: inout [CID: [UInt8]]) throws(MSTError) {
        let top = try rootNode()
        // Towards the left neighbour: the subtree just below the first key >= `key`.
        var node = top
        while true {
            let block = node.encoded
            blocks[block.cid] = block.bytes
            let (index, _) = node.search(key)
            guard let child = node.child(at: index) else { break }
            node = try load(child, layer: node.layer - 1)
        }
        // Towards the right neighbour: the subtree just after the key when present, else the one holding it.
        node = top
        while true {
            let block = node.encoded
            blocks[block.cid] = block.bytes
            let (index, found) = node.search(key)
            guard let child = node.child(at: found ? index + 1 : index) else { break }
            node = try load(child, layer: node.layer - 1)
        }
    }
}

// MARK: - Inclusion and exclusion proofs (sync.getRecord)

extension MST {
    /// The node blocks from the root down to `key` (or to where it would be) and the key's value: enough to
    /// prove to anyone holding the root CID that `key` maps to that value, or is absent (nil).
    public func path(to key: String) throws(MSTError) -> (nodes: [CARBlock], value: CID?) {
        let bytes = try MSTKey.validated(key)
        var nodes: [CARBlock] = []
        var node = try rootNode()
        while true {
            let block = node.encoded
            nodes.append(CARBlock(cid: block.cid, bytes: block.bytes))
            let (index, found) = node.search(bytes)
            if found { return (nodes, node.entries[index].value) }
            guard let child = node.child(at: index) else { return (nodes, nil) }
            node = try load(child, layer: node.layer - 1)
        }
    }
}
