/// One key of an MST node: the key, its value (record CID) and the subtree of keys between it and the next
/// key of the node.
public struct MSTEntry: Sendable {
    public let key: [UInt8]
    public let value: CID
    public let right: MSTLink?

    public init(key: [UInt8], value: CID, right: MSTLink?) {
        self.key = key
        self.value = value
        self.right = right
    }

    func withRight(_ link: MSTLink?) -> MSTEntry { MSTEntry(key: key, value: value, right: link) }
    func withValue(_ cid: CID) -> MSTEntry { MSTEntry(key: key, value: cid, right: right) }
}
