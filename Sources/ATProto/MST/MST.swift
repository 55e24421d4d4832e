/// A fanout-4 Merkle Search Tree over repository keys (`<collection>/<rkey>`) mapping to record CIDs.
///
/// The tree is a persistent value: every update returns a new tree that shares all unchanged subtrees with
/// the old one (unchanged stored nodes keep their CIDs and are never re-encoded). Stored nodes are read
/// lazily through a synchronous ``BlockReader``; a single-key operation only reads the nodes on that key's
/// path. New nodes are hashed once, when a CID is first needed.
///
/// An `MST` is a short-lived working value bound to its reader (typically inside one database
/// transaction), so it is not `Sendable`.
public struct MST {
    public let reader: any BlockReader
    let root: MSTLink

    /// An empty tree.
    public init(reader: any BlockReader) {
        self.reader = reader
        self.root = .node(.empty())
    }

    /// The stored tree whose root node is `root`; nothing is read until needed.
    public init(root: CID, reader: any BlockReader) {
        self.reader = reader
        self.root = .stored(root)
    }

    init(rootNode: MSTNode, reader: any BlockReader) {
        self.reader = reader
        self.root = .node(rootNode)
    }

    /// The CID of the empty tree's root node `{e: [], l: null}`.
    public static let emptyRootCID: CID = MSTNode.empty().cid

    /// The root node's CID (hashes new nodes on first use).
    public var rootCID: CID { root.cid }

    // MARK: Loading

    func load(_ link: MSTLink, layer: Int?) throws(MSTError) -> MSTNode {
        switch link {
        case .node(let node):
            return node
        case .stored(let cid):
            let cache = reader.nodeCache
            if let cache, let node = cache.node(cid) {
                if !node.entries.isEmpty {
                    // A node with keys has its own layer; the check decoding makes still applies.
                    if let layer, layer != node.layer {
                        throw MSTError(
                            .invalidStructure, "node keys have height \(node.layer) but the node sits at layer \(layer)", cid: cid)
                    }
                    return node
                }
                // A keyless node's layer is the place it was cached at: reuse it only at that place (and, below the
                // root, only with a subtree); anywhere else decode it, with decoding's checks.
                let fits = layer.map { $0 == node.layer && node.left != nil } ?? (node.layer == 0 && node.left == nil)
                if fits { return node }
            }
            let bytes: [UInt8]?
            do {
                bytes = try reader.readBlock(cid)
            } catch {
                throw MSTError(.readFailed, "reading node failed: \(error)", cid: cid)
            }
            guard let bytes else { throw MSTError(.missingBlock, "node block not found", cid: cid) }
            let node = try MSTNode.decode(bytes, cid: cid, layer: layer)
            cache?.insert(node, cid: cid)
            return node
        }
    }

    func rootNode() throws(MSTError) -> MSTNode { try load(root, layer: nil) }

    // MARK: Reading

    /// The value stored under `key`, or nil.
    public func get(_ key: String) throws(MSTError) -> CID? {
        let bytes = try MSTKey.validated(key)
        var node = try rootNode()
        while true {
            let (index, found) = node.search(bytes)
            if found { return node.entries[index].value }
            guard let child = node.child(at: index) else { return nil }
            node = try load(child, layer: node.layer - 1)
        }
    }

    /// True when the tree holds no keys.
    public func isEmpty() throws(MSTError) -> Bool { try rootNode().isEmpty }

    // MARK: Writing

    /// A tree with `key` added. Throws `keyExists` if it is present.
    public func inserting(_ key: String, _ value: CID) throws(MSTError) -> MST {
        let bytes = try MSTKey.validated(key)
        let height = MSTKey.height(bytes)
        let node = try rootNode()
        if node.isEmpty {
            return MST(rootNode: MSTNode(layer: height, left: nil, entries: [MSTEntry(key: bytes, value: value, right: nil)]), reader: reader)
        }
        if height > node.layer {
            // The key becomes the new root: split the whole tree around it and lift both halves.
            var (low, high) = try split(.node(node), layer: node.layer, around: bytes)
            for layer in (node.layer + 1)..<height {
                if let l = low { low = .node(MSTNode(layer: layer, left: l, entries: [])) }
                if let h = high { high = .node(MSTNode(layer: layer, left: h, entries: [])) }
            }
            let top = MSTNode(layer: height, left: low, entries: [MSTEntry(key: bytes, value: value, right: high)])
            return MST(rootNode: top, reader: reader)
        }
        return MST(rootNode: try insert(into: node, bytes, value, height: height, key: key), reader: reader)
    }

    /// Adds `key`. Throws `keyExists` if it is present.
    public mutating func insert(_ key: String, _ value: CID) throws(MSTError) {
        self = try inserting(key, value)
    }

    /// A tree with the value of the existing `key` replaced. Throws `keyNotFound` if it is absent.
    public func updating(_ key: String, _ value: CID) throws(MSTError) -> MST {
        let bytes = try MSTKey.validated(key)
        return MST(rootNode: try update(try rootNode(), bytes, value, key: key), reader: reader)
    }

    public mutating func update(_ key: String, _ value: CID) throws(MSTError) {
        self = try updating(key, value)
    }

    /// A tree with `key` set to `value`, inserted or replaced; also returns the previous value.
    public func upserting(_ key: String, _ value: CID) throws(MSTError) -> (tree: MST, previous: CID?) {
        if let previous = try get(key) {
            if previous == value { return (self, previous) }
            return (try updating(key, value), previous)
        }
        return (try inserting(key, value), nil)
    }

    @discardableResult
    public mutating func upsert(_ key: String, _ value: CID) throws(MSTError) -> CID? {
        let (tree, previous) = try upserting(key, value)
        self = tree
        return previous
    }

    /// A tree without `key`. Throws `keyNotFound` if it is absent.
    public func deleting(_ key: String) throws(MSTError) -> MST {
        let bytes = try MSTKey.validated(key)
        var node = try delete(from: try rootNode(), bytes, key: key) ?? MSTNode.empty()
        // Trim the top: a root with no keys is replaced by its only subtree.
        while node.entries.isEmpty, let left = node.left {
            node = try load(left, layer: node.layer - 1)
        }
        if node.isEmpty { node = MSTNode.empty() }
        return MST(rootNode: node, reader: reader)
    }

    public mutating func delete(_ key: String) throws(MSTError) {
        self = try deleting(key)
    }

    // MARK: Recursive steps

    private func insert(into node: MSTNode, _ key: [UInt8], _ value: CID, height: Int, key name: String) throws(MSTError) -> MSTNode {
        let (index, found) = node.search(key)
        if height == node.layer {
            if found { throw MSTError(.keyExists, "key \(name.debugDescription) is already present") }
            let (low, high) = try split(node.child(at: index), layer: node.layer - 1, around: key)
            var entries = node.entries
            var left = node.left
            if index == 0 { left = low } else { entries[index - 1] = entries[index - 1].withRight(low) }
            entries.insert(MSTEntry(key: key, value: value, right: high), at: index)
            return MSTNode(layer: node.layer, left: left, entries: entries)
        }
        // height < layer: the key goes into the subtree at `index`, created if absent.
        let child: MSTNode
        if let link = node.child(at: index) {
            child = try insert(into: try load(link, layer: node.layer - 1), key, value, height: height, key: name)
        } else {
            child = makeChain(key, value, height: height, layer: node.layer - 1)
        }
        return node.replacingChild(at: index, with: .node(child))
    }

    /// A subtree at `layer` holding only `key` (empty nodes down to the key's height).
    private func makeChain(_ key: [UInt8], _ value: CID, height: Int, layer: Int) -> MSTNode {
        var node = MSTNode(layer: height, left: nil, entries: [MSTEntry(key: key, value: value, right: nil)])
        var level = height
        while level < layer {
            level += 1
            node = MSTNode(layer: level, left: .node(node), entries: [])
        }
        return node
    }

    /// Splits the subtree at `layer` into the parts below and above `key` (which it does not contain).
    func split(_ link: MSTLink?, layer: Int, around key: [UInt8]) throws(MSTError) -> (MSTLink?, MSTLink?) {
        guard let link else { return (nil, nil) }
        let node = try load(link, layer: layer)
        let (index, found) = node.search(key)
        if found {
            throw MSTError(.invalidStructure, "key \(MSTKey.describe(key)) found at layer \(layer), below its height")
        }
        let (low, high) = try split(node.child(at: index), layer: layer - 1, around: key)
        var leftEntries = Array(node.entries[0..<index])
        var leftLeft = node.left
        if index == 0 { leftLeft = low } else { leftEntries[index - 1] = leftEntries[index - 1].withRight(low) }
        let rightEntries = Array(node.entries[index...])
        let lower = MSTNode(layer: layer, left: leftLeft, entries: leftEntries)
        let upper = MSTNode(layer: layer, left: high, entries: rightEntries)
        return (lower.isEmpty ? nil : .node(lower), upper.isEmpty ? nil : .node(upper))
    }

    private func update(_ node: MSTNode, _ key: [UInt8], _ value: CID, key name: String) throws(MSTError) -> MSTNode {
        let (index, found) = node.search(key)
        if found {
            var entries = node.entries
            entries[index] = entries[index].withValue(value)
            return MSTNode(layer: node.layer, left: node.left, entries: entries)
        }
        guard let link = node.child(at: index) else {
            throw MSTError(.keyNotFound, "key \(name.debugDescription) is not present")
        }
        let child = try update(try load(link, layer: node.layer - 1), key, value, key: name)
        return node.replacingChild(at: index, with: .node(child))
    }

    /// The node without `key`, or nil when nothing is left of it.
    private func delete(from node: MSTNode, _ key: [UInt8], key name: String) throws(MSTError) -> MSTNode? {
        let (index, found) = node.search(key)
        let result: MSTNode
        if found {
            let merged = try merge(node.child(at: index), node.entries[index].right, layer: node.layer - 1)
            var entries = node.entries
            entries.remove(at: index)
            var left = node.left
            if index == 0 { left = merged } else { entries[index - 1] = entries[index - 1].withRight(merged) }
            result = MSTNode(layer: node.layer, left: left, entries: entries)
        } else {
            guard let link = node.child(at: index) else {
                throw MSTError(.keyNotFound, "key \(name.debugDescription) is not present")
            }
            let child = try delete(from: try load(link, layer: node.layer - 1), key, key: name)
            result = node.replacingChild(at: index, with: child.map(MSTLink.node))
        }
        return result.isEmpty ? nil : result
    }

    /// Joins two adjacent subtrees at `layer` (every key of `a` below every key of `b`).
    private func merge(_ a: MSTLink?, _ b: MSTLink?, layer: Int) throws(MSTError) -> MSTLink? {
        guard let a else { return b }
        guard let b else { return a }
        let lower = try load(a, layer: layer)
        let upper = try load(b, layer: layer)
        let middle = try merge(lower.child(at: lower.entries.count), upper.left, layer: layer - 1)
        var entries = lower.entries
        var left = lower.left
        if entries.isEmpty { left = middle } else { entries[entries.count - 1] = entries[entries.count - 1].withRight(middle) }
        entries.append(contentsOf: upper.entries)
        return .node(MSTNode(layer: layer, left: left, entries: entries))
    }
}
