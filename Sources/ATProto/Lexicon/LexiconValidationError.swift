/// Why a record (or other value) does not match its Lexicon schema. `description` reads like
/// `Record/embed/images/0/alt must be a string`.
public struct LexiconValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The record key does not fit the record definition's key type.
        case invalidRecordKey
        /// The data does not match the schema.
        case invalidData
        /// The schema references a definition the registry does not have (or one that can not be
        /// used as data, such as a token): the schema set is incomplete, not the data wrong.
        case unresolvedReference
        /// Validation was required but no schema is known for the collection ("Unknown lexicon type").
        case unknownLexicon
    }

    public let kind: Kind
    /// Slash-separated location in the data, starting `Record` (or the root name given); empty when the
    /// error is not about one location.
    public let path: String
    public let message: String

    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path) \(message)" }
}
