/// A Lexicon `string` schema. `minLength`/`maxLength` count UTF-8 bytes; `minGraphemes`/`maxGraphemes`
/// count extended grapheme clusters.
public struct LexiconString: Hashable, Sendable {
    public var format: LexiconStringFormat?
    public var minLength: Int?
    public var maxLength: Int?
    public var minGraphemes: Int?
    public var maxGraphemes: Int?
    /// Suggested values; not a constraint.
    public var knownValues: [String]?
    public var enumValues: [String]?
    public var defaultValue: String?
    public var constValue: String?

    public init(
        format: LexiconStringFormat? = nil, minLength: Int? = nil, maxLength: Int? = nil, minGraphemes: Int? = nil,
        maxGraphemes: Int? = nil, knownValues: [String]? = nil, enumValues: [String]? = nil,
        defaultValue: String? = nil, constValue: String? = nil
    ) {
        self.format = format
        self.minLength = minLength
        self.maxLength = maxLength
        self.minGraphemes = minGraphemes
        self.maxGraphemes = maxGraphemes
        self.knownValues = knownValues
        self.enumValues = enumValues
        self.defaultValue = defaultValue
        self.constValue = constValue
    }
}
