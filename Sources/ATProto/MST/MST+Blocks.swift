// MARK: - Whole-tree walks: node blocks, validation

extension MST {
    /// Calls `body` with every node block (CID and bytes), parents before children, left to right: the
    /// "streamable" order for a repository CAR. Record blocks are not included (see ``forEachLeaf(_:)``).
    public func forEachNodeBlock(_ body: (CID, [UInt8]) throws -> Void) throws {
        func walk(_ link: MSTLink, layer: Int?) throws {
            let node = try load(link, layer: layer)
            let block = node.encoded
            try body(block.cid, block.bytes)
            if let left = node.left { try walk(left, layer: node.layer - 1) }
            for entry in node.entries {
                if let right = entry.right { try walk(right, layer: node.layer - 1) }
            }
        }
        try walk(root, layer: nil)
    }

    /// The blocks of every node built in memory by updates and reachable from the root (stored nodes stop
    /// the walk). After a batch of writes this is the set of nodes to store; it can contain a node equal to
    /// one of the old tree (e.g. after an insert and a delete of the same key): ``MST/diff(from:to:)`` gives
    /// the exact set.
    public func unstoredBlocks() -> [CID: [UInt8]] {
        var out: [CID: [UInt8]] = [:]
        func walk(_ link: MSTLink) {
            guard case .node(let node) = link, !node.isStored else { return }
            let block = node.encoded
            out[block.cid] = block.bytes
            if let left = node.left { walk(left) }
            for entry in node.entries {
                if let right = entry.right { walk(right) }
            }
        }
        walk(root)
        return out
    }

    /// Reads the whole tree and checks every invariant: each node's shape, key syntax, order and heights (as
    /// on every read), plus keys of each subtree strictly between the keys around it and the root trimmed.
    /// Returns the number of keys.
    @discardableResult
    public func validate() throws(MSTError) -> Int {
        var count = 0
        try validate(root, layer: nil, lower: nil, upper: nil, count: &count)
        return count
    }

    private func validate(_ link: MSTLink, layer: Int?, lower: [UInt8]?, upper: [UInt8]?, count: inout Int) throws(MSTError) {
        let node = try load(link, layer: layer)
        if layer == nil, node.entries.isEmpty, node.left != nil {
            throw MSTError(.invalidStructure, "root node has no keys but a subtree", cid: link.cid)
        }
        if let first = node.entries.first, let lower, MSTKey.compare(first.key, lower) <= 0 {
            throw MSTError(.invalidStructure, "key \(MSTKey.describe(first.key)) is not above the parent key \(MSTKey.describe(lower))", cid: link.cid)
        }
        if let last = node.entries.last, let upper, MSTKey.compare(last.key, upper) >= 0 {
            throw MSTError(.invalidStructure, "key \(MSTKey.describe(last.key)) is not below the parent key \(MSTKey.describe(upper))", cid: link.cid)
        }
        count += node.entries.count
        let n = node.entries.count
        for index in 0...n {
            guard let child = node.child(at: index) else { continue }
            let childLower = index == 0 ? lower : node.entries[index - 1].key
            let childUpper = index == n ? upper : node.entries[index].key
            try validate(child, layer: node.layer - 1, lower: childLower, upper: childUpper, count: &count)
        }
    }
}

extension MST {
    /// Depth-first, key-ordered walk for streaming exports: `node` for each node before its subtrees,
    /// `record` with each key's value CID in key order (interleaved with the subtrees around it).
    public func forEachBlockInStreamOrder(node: (CID, [UInt8]) throws -> Void, record: (CID) throws -> Void) throws {
        func walk(_ link: MSTLink, layer: Int?) throws {
            let current = try load(link, layer: layer)
            let block = current.encoded
            try node(block.cid, block.bytes)
            if let left = current.left { try walk(left, layer: current.layer - 1) }
            for entry in current.entries {
                try record(entry.value)
                if let right = entry.right { try walk(right, layer: current.layer - 1) }
            }
        }
        try walk(root, layer: nil)
    }
}
