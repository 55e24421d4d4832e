/// A Lexicon `union` schema: the data is an object whose `$type` names the variant. An open union
/// (the default) accepts variants it does not list; a closed one does not.
public struct LexiconUnion: Hashable, Sendable {
    /// The variants, absolute (`nsid#name`).
    public var refs: [String]
    public var closed: Bool

    public init(refs: [String], closed: Bool = false) {
        self.refs = refs
        self.closed = closed
    }

    /// The listed variant that `type` (a `$type` value: `nsid`, `nsid#main` or `nsid#name`) names, if any.
    public func variant(named type: String) -> String? {
        let absolute = type.utf8.contains(UInt8(ascii: "#")) ? type : type + "#main"
        return refs.first { $0 == absolute }
    }
}
