/// Everything a repository write needs to store and to announce, from ``RepoBuilder/apply(_:root:reader:)``.
///
/// It is `Sendable` (it holds no reader), so it can leave a database transaction closure.
public struct RepoBuildResult: Sendable {
    /// Root CID of the new tree: the next commit's `data`.
    public let root: CID
    /// Root CID of the tree before the writes (nil for a new repository): the event's `prevData`.
    public let previousRoot: CID?
    /// One operation per write, with `prev` set for updates and deletes.
    public let ops: [RepoOperation]
    /// The exact set of node blocks the new tree has and the old one did not: what to store.
    public let newNodeBlocks: [CID: [UInt8]]
    /// Node CIDs the old tree had and the new one does not: what to drop.
    public let removedNodeCIDs: Set<CID>
    /// Record CIDs that were replaced or deleted (drop them unless another key still points to them).
    public let removedRecordCIDs: [CID]
    /// Node blocks of the covering proofs of every written key (sync v1.1): with the new record blocks and
    /// the commit, the event's `blocks`.
    public let proofBlocks: [CID: [UInt8]]
}
