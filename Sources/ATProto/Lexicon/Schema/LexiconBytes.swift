/// A Lexicon `bytes` schema; lengths count raw bytes.
public struct LexiconBytes: Hashable, Sendable {
    public var minLength: Int?
    public var maxLength: Int?

    public init(minLength: Int? = nil, maxLength: Int? = nil) {
        self.minLength = minLength
        self.maxLength = maxLength
    }
}
