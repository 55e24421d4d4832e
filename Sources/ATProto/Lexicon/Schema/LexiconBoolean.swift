/// A Lexicon `boolean` schema.
public struct LexiconBoolean: Hashable, Sendable {
    public var defaultValue: Bool?
    public var constValue: Bool?

    public init(defaultValue: Bool? = nil, constValue: Bool? = nil) {
        self.defaultValue = defaultValue
        self.constValue = constValue
    }
}
