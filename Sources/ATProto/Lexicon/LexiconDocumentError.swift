/// Why a Lexicon document was refused, with the JSON path of the offending field
/// (`defs/main/record/properties/text: unknown string format "email"`).
public struct LexiconDocumentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Slash-separated path inside the document; empty for the document itself.
    public let path: String
    public let message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
