/// A Lexicon `record` definition: the record key type and the schema of the record object.
public struct LexiconRecord: Hashable, Sendable {
    public var key: LexiconRecordKeyType
    public var record: LexiconObject

    public init(key: LexiconRecordKeyType, record: LexiconObject) {
        self.key = key
        self.record = record
    }
}
