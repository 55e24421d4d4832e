/// A subtree reference inside an MST node: a stored node known only by its CID (loaded on demand), or a
/// node held in memory (new or already loaded).
public enum MSTLink: Sendable {
    case stored(CID)
    case node(MSTNode)

    /// The subtree's CID (computed and cached for in-memory nodes).
    public var cid: CID {
        switch self {
        case .stored(let cid): cid
        case .node(let node): node.cid
        }
    }
}
