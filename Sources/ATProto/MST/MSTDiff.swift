/// What changed between two trees: the keys (with old and new values) and the node blocks.
public struct MSTDiff: Sendable {
    /// Created (`old == nil`), updated, and deleted (`new == nil`) keys, in key order.
    public var entries: [MSTDiffEntry]
    /// Node blocks of the new tree that the old tree does not have.
    public var newNodes: [CID: [UInt8]]
    /// Node CIDs of the old tree that the new tree does not have.
    public var removedNodes: Set<CID>

    public init(entries: [MSTDiffEntry] = [], newNodes: [CID: [UInt8]] = [:], removedNodes: Set<CID> = []) {
        self.entries = entries
        self.newNodes = newNodes
        self.removedNodes = removedNodes
    }

    /// Record CIDs the new tree points to that the old one did not point to under the same key.
    public var newLeaves: [CID] { entries.compactMap { $0.new == $0.old ? nil : $0.new } }
    /// Record CIDs the old tree pointed to that were replaced or removed.
    public var removedLeaves: [CID] { entries.compactMap { $0.new == $0.old ? nil : $0.old } }
}
