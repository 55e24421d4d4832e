/// A key of the tree and the record CID stored under it.
public struct MSTLeaf: Sendable, Hashable {
    public let key: String
    public let value: CID

    public init(key: String, value: CID) {
        self.key = key
        self.value = value
    }

    init(_ entry: MSTEntry) {
        self.key = String(decoding: entry.key, as: UTF8.self)
        self.value = entry.value
    }
}
