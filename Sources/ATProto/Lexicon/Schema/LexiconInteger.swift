/// A Lexicon `integer` schema (signed 64-bit values).
public struct LexiconInteger: Hashable, Sendable {
    public var minimum: Int64?
    public var maximum: Int64?
    public var enumValues: [Int64]?
    public var defaultValue: Int64?
    public var constValue: Int64?

    public init(
        minimum: Int64? = nil, maximum: Int64? = nil, enumValues: [Int64]? = nil, defaultValue: Int64? = nil,
        constValue: Int64? = nil
    ) {
        self.minimum = minimum
        self.maximum = maximum
        self.enumValues = enumValues
        self.defaultValue = defaultValue
        self.constValue = constValue
    }
}
