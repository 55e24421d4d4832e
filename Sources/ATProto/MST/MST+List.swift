// MARK: - Ordered listing

extension MST {
    /// Keys in order with their values, strictly between `after` and `before` (either may be nil), at most
    /// `limit` of them, descending when `reverse`. Only subtrees that overlap the bounds are read.
    public func list(after: String? = nil, before: String? = nil, limit: Int = .max, reverse: Bool = false) throws(MSTError) -> [MSTLeaf] {
        let bounds = Bounds(low: after.map { Array($0.utf8) }, lowInclusive: false, high: before.map { Array($0.utf8) })
        return try list(bounds, limit: limit, reverse: reverse)
    }

    /// Keys starting with `prefix` (e.g. `"app.bsky.feed.post/"` for one collection), in order.
    public func list(prefix: String, after: String? = nil, limit: Int = .max, reverse: Bool = false) throws(MSTError) -> [MSTLeaf] {
        let p = Array(prefix.utf8)
        var low = p
        var lowInclusive = true
        if let after, MSTKey.compare(Array(after.utf8), p) >= 0 {
            low = Array(after.utf8)
            lowInclusive = false
        }
        let bounds = Bounds(low: p.isEmpty && lowInclusive ? nil : low, lowInclusive: lowInclusive, high: Self.successor(of: p))
        return try list(bounds, limit: limit, reverse: reverse)
    }

    /// Calls `body` with every leaf in key order (reads every node once).
    public func forEachLeaf(_ body: (MSTLeaf) throws -> Void) throws {
        try forEachEntry { entry in try body(MSTLeaf(entry)) }
    }

    /// Number of keys in the tree (reads every node).
    public func leafCount() throws(MSTError) -> Int {
        var count = 0
        try countLeaves(root, layer: nil, into: &count)
        return count
    }

    /// All leaves in key order.
    public func allLeaves() throws(MSTError) -> [MSTLeaf] {
        try list(Bounds(low: nil, lowInclusive: false, high: nil), limit: .max, reverse: false)
    }

    // MARK: Internals

    struct Bounds {
        var low: [UInt8]?
        var lowInclusive: Bool
        var high: [UInt8]?

        func admits(_ key: [UInt8]) -> Bool {
            if let low {
                let c = MSTKey.compare(key, low)
                if c < 0 || (c == 0 && !lowInclusive) { return false }
            }
            if let high, MSTKey.compare(key, high) >= 0 { return false }
            return true
        }

        /// Whether a subtree whose keys lie strictly between `lower` and `upper` can hold admitted keys.
        func overlaps(lower: [UInt8]?, upper: [UInt8]?) -> Bool {
            if let low, let upper, MSTKey.compare(upper, low) <= 0 { return false }
            if let high, let lower, MSTKey.compare(lower, high) >= 0 { return false }
            return true
        }
    }

    /// The smallest byte string greater than every string starting with `prefix`, or nil for none.
    static func successor(of prefix: [UInt8]) -> [UInt8]? {
        var p = prefix
        while let last = p.last {
            if last < 0xff {
                p[p.count - 1] = last + 1
                return p
            }
            p.removeLast()
        }
        return nil
    }

    func list(_ bounds: Bounds, limit: Int, reverse: Bool) throws(MSTError) -> [MSTLeaf] {
        var out: [MSTLeaf] = []
        guard limit > 0 else { return out }
        try collect(root, layer: nil, lower: nil, upper: nil, bounds, limit: limit, reverse: reverse, into: &out)
        return out
    }

    private func collect(
        _ link: MSTLink, layer: Int?, lower: [UInt8]?, upper: [UInt8]?, _ bounds: Bounds, limit: Int, reverse: Bool,
        into out: inout [MSTLeaf]
    ) throws(MSTError) {
        let node = try load(link, layer: layer)
        let n = node.entries.count
        // Item order: child 0, key 0, child 1, key 1, ..., key n-1, child n.
        var items = Array(0...(2 * n))
        if reverse { items.reverse() }
        for item in items {
            if out.count >= limit { return }
            if item % 2 == 1 {
                let entry = node.entries[item / 2]
                if bounds.admits(entry.key) { out.append(MSTLeaf(entry)) }
                continue
            }
            let index = item / 2
            guard let child = node.child(at: index) else { continue }
            let childLower = index == 0 ? lower : node.entries[index - 1].key
            let childUpper = index == n ? upper : node.entries[index].key
            guard bounds.overlaps(lower: childLower, upper: childUpper) else { continue }
            try collect(child, layer: node.layer - 1, lower: childLower, upper: childUpper, bounds, limit: limit, reverse: reverse, into: &out)
        }
    }

    private func countLeaves(_ link: MSTLink, layer: Int?, into count: inout Int) throws(MSTError) {
        let node = try load(link, layer: layer)
        count += node.entries.count
        if let left = node.left { try countLeaves(left, layer: node.layer - 1, into: &count) }
        for entry in node.entries {
            if let right = entry.right { try countLeaves(right, layer: node.layer - 1, into: &count) }
        }
    }

    func forEachEntry(_ body: (MSTEntry) throws -> Void) throws {
        func walk(_ link: MSTLink, layer: Int?) throws {
            let node = try load(link, layer: layer)
            if let left = node.left { try walk(left, layer: node.layer - 1) }
            for entry in node.entries {
                try body(entry)
                if let right = entry.right { try walk(right, layer: node.layer - 1) }
            }
        }
        try walk(root, layer: nil)
    }
}
