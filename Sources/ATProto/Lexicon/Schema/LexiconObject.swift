/// A Lexicon `object` (or `params`) schema.
public struct LexiconObject: Hashable, Sendable {
    public let properties: [String: LexiconSchema]
    public let required: Set<String>
    public let nullable: Set<String>
    /// The property names in a fixed (sorted) order, so that validation reports errors deterministically.
    public let propertyNames: [String]

    public init(properties: [String: LexiconSchema], required: Set<String> = [], nullable: Set<String> = []) {
        self.properties = properties
        self.required = required
        self.nullable = nullable
        self.propertyNames = properties.keys.sorted()
    }
}
