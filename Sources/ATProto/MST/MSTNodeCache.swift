import Synchronization

/// Decoded MST nodes by CID, shared by every tree whose ``BlockReader`` offers it (Storage keeps one for all
/// repositories: each commit re-reads the root-to-leaf path of the previous tree).
///
/// A CID names its content, so an entry can never go stale, whichever repository or transaction read it: a node is
/// only ever reached through a link from a tree that holds it. A node with keys has the layer of its keys; a keyless
/// node is kept with the layer it was decoded or built at, and ``MST`` reuses it only at that layer (in a valid tree
/// that is the only place it can sit: one above the node it links to). Bounded by two generations of
/// at most ``capacity`` nodes: when the current one is full it becomes the previous one and the older is dropped;
/// a hit in the previous generation moves the node back into the current one.
public final class MSTNodeCache: Sendable {
    public let capacity: Int
    private let generations: Mutex<Generations>

    private struct Generations {
        var current: [CID: MSTNode] = [:]
        var previous: [CID: MSTNode] = [:]
    }

    public init(capacity: Int = 2048) {
        self.capacity = max(1, capacity)
        self.generations = Mutex(Generations())
    }

    /// The decoded node stored under `cid`, if cached.
    public func node(_ cid: CID) -> MSTNode? {
        generations.withLock { g in
            if let node = g.current[cid] { return node }
            guard let node = g.previous.removeValue(forKey: cid) else { return nil }
            Self.add(node, cid, to: &g, capacity: capacity)
            return node
        }
    }

    /// Remembers a node decoded from storage.
    public func insert(_ node: MSTNode, cid: CID) {
        generations.withLock { g in Self.add(node, cid, to: &g, capacity: capacity) }
    }

    /// Remembers the nodes `tree` built in memory (reachable from its root through in-memory links), in their stored
    /// form, so that the next change of the same repository finds its new path already decoded. Call it once the
    /// nodes are stored (an entry for a block that never got stored is harmless: nothing links to it).
    public func insertBuiltNodes(of tree: MST) {
        var built: [(CID, MSTNode)] = []
        func walk(_ link: MSTLink) {
            guard case .node(let node) = link, !node.isStored else { return }
            built.append((node.cid, node.storedForm()))
            if let left = node.left { walk(left) }
            for entry in node.entries {
                if let right = entry.right { walk(right) }
            }
        }
        walk(tree.root)
        guard !built.isEmpty else { return }
        generations.withLock { g in
            for (cid, node) in built { Self.add(node, cid, to: &g, capacity: capacity) }
        }
    }

    /// Nodes held, in both generations.
    public var count: Int { generations.withLock { $0.current.count + $0.previous.count } }

    private static func add(_ node: MSTNode, _ cid: CID, to g: inout Generations, capacity: Int) {
        if g.current.count >= capacity {
            g.previous = g.current
            g.current = [:]
            g.current.reserveCapacity(capacity)
        }
        g.current[cid] = node
    }
}
