import Synchronization

/// An immutable MST node: every key has height `layer`; `left` holds the keys below the first key, each
/// entry's `right` the keys between it and the next one.
///
/// Nodes are shared between tree versions. A node read from storage keeps its block; a new node is encoded
/// and hashed once, the first time its CID is needed.
public final class MSTNode: Sendable {
    public let layer: Int
    public let left: MSTLink?
    public let entries: [MSTEntry]
    /// True for a node decoded from a stored block (as opposed to one built by an update).
    public let isStored: Bool
    private let block: Mutex<(cid: CID, bytes: [UInt8])?>

    /// True for a node with neither keys nor subtree (only valid as the root of an empty tree).
    public var isEmpty: Bool { entries.isEmpty && left == nil }

    init(layer: Int, left: MSTLink?, entries: [MSTEntry]) {
        self.layer = layer
        self.left = left
        self.entries = entries
        self.isStored = false
        self.block = Mutex(nil)
    }

    init(layer: Int, left: MSTLink?, entries: [MSTEntry], cid: CID, bytes: [UInt8]) {
        self.layer = layer
        self.left = left
        self.entries = entries
        self.isStored = true
        self.block = Mutex((cid, bytes))
    }

    /// This node as decoding its block would give it: subtrees as links by CID (so a cached copy holds no subtree
    /// in memory) and the block kept.
    func storedForm() -> MSTNode {
        if isStored { return self }
        let block = encoded
        return MSTNode(
            layer: layer, left: left.map { .stored($0.cid) },
            entries: entries.map { MSTEntry(key: $0.key, value: $0.value, right: $0.right.map { .stored($0.cid) }) },
            cid: block.cid, bytes: block.bytes)
    }

    /// The empty node `{e: [], l: null}`: the root of an empty repository.
    static func empty() -> MSTNode { MSTNode(layer: 0, left: nil, entries: []) }

    /// The node's CID (dag-cbor sha2-256 of ``bytes``).
    public var cid: CID { encoded.cid }

    /// The node's canonical DAG-CBOR block.
    public var bytes: [UInt8] { encoded.bytes }

    var encoded: (cid: CID, bytes: [UInt8]) {
        if let known = block.withLock({ $0 }) { return known }
        let bytes = encode()
        let result = (cid: CID.dagCBOR(hashing: bytes), bytes: bytes)
        block.withLock { $0 = result }
        return result
    }

    /// The subtree left of entry `index` (`index == 0` is `left`, else entry `index - 1`'s right).
    func child(at index: Int) -> MSTLink? {
        index == 0 ? left : entries[index - 1].right
    }

    /// Index of the first entry whose key is >= `key`, and whether it is equal.
    func search(_ key: [UInt8]) -> (index: Int, found: Bool) {
        key.withUnsafeBufferPointer { target in
            entries.withUnsafeBufferPointer { list in
                var low = 0
                var high = list.count
                while low < high {
                    let mid = (low + high) >> 1
                    let c = list[mid].key.withUnsafeBufferPointer { MSTKey.compare($0, target) }
                    if c == 0 { return (mid, true) }
                    if c < 0 { low = mid + 1 } else { high = mid }
                }
                return (low, false)
            }
        }
    }

    /// A copy with the subtree left of entry `index` replaced.
    func replacingChild(at index: Int, with link: MSTLink?) -> MSTNode {
        if index == 0 { return MSTNode(layer: layer, left: link, entries: entries) }
        var copy = entries
        copy[index - 1] = copy[index - 1].withRight(link)
        return MSTNode(layer: layer, left: left, entries: copy)
    }
}
