/// One changed key.
public struct MSTDiffEntry: Sendable, Hashable, CustomStringConvertible {
    public let key: String
    public let old: CID?
    public let new: CID?

    public init(key: String, old: CID?, new: CID?) {
        self.key = key
        self.old = old
        self.new = new
    }

    public var description: String {
        switch (old, new) {
        case (nil, let new?): "create \(key) \(new)"
        case (let old?, nil): "delete \(key) \(old)"
        case (let old?, let new?): "update \(key) \(old) -> \(new)"
        case (nil, nil): "none \(key)"
        }
    }
}
