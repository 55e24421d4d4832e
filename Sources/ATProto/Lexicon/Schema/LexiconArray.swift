/// A Lexicon `array` schema; lengths count elements.
public struct LexiconArray: Hashable, Sendable {
    public var items: LexiconSchema
    public var minLength: Int?
    public var maxLength: Int?

    public init(items: LexiconSchema, minLength: Int? = nil, maxLength: Int? = nil) {
        self.items = items
        self.minLength = minLength
        self.maxLength = maxLength
    }
}
