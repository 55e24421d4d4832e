/// A Lexicon schema document (`specs/lexicon#lexicon-files`): version 1, an NSID and named definitions.
///
/// Parsing checks the document against the Lexicon language, not just its shape: primary types
/// (`record`, `query`, `procedure`, `subscription`, `permission-set`) only as `main`; no top-level
/// `ref`, `union`, `unknown` or `params`; each nested schema only where the spec allows its type;
/// `required` names declared properties; valid string formats, record key types and references.
/// Unknown fields are ignored, as the spec asks for forward compatibility.
public struct LexiconDocument: Hashable, Sendable {
    /// The Lexicon language version (always 1).
    public let lexicon: Int
    public let id: NSID
    public let revision: Int64?
    public let description: String?
    /// The definitions by name (`main`, `view`, ...).
    public let defs: [String: LexiconSchema]

    public init(id: NSID, defs: [String: LexiconSchema], revision: Int64? = nil, description: String? = nil) {
        self.lexicon = 1
        self.id = id
        self.defs = defs
        self.revision = revision
        self.description = description
    }

    /// Parses a document from its JSON text.
    public init(json: some Collection<UInt8>) throws(LexiconDocumentError) {
        let value: DataValue
        do {
            value = try AtprotoJSON.parse(json)
        } catch {
            throw LexiconDocumentError(path: "", "invalid JSON: \(error.description)")
        }
        try self.init(value)
    }

    /// Parses a document from its JSON text.
    public init(json: String) throws(LexiconDocumentError) {
        try self.init(json: Array(json.utf8))
    }

    /// Parses a document from a data-model value (for example a `com.atproto.lexicon.schema` record).
    public init(_ value: DataValue) throws(LexiconDocumentError) {
        guard case .map(let map) = value else {
            throw LexiconDocumentError(path: "", "a lexicon document must be an object, found \(value.typeName)")
        }
        guard let version = map["lexicon"] else { throw LexiconDocumentError(path: "lexicon", "is required") }
        guard case .int(1) = version else {
            throw LexiconDocumentError(
                path: "lexicon", "must be the integer 1, found \(LexiconSchemaParser.show(version))")
        }
        guard let idValue = map["id"] else { throw LexiconDocumentError(path: "id", "is required") }
        guard case .string(let idString) = idValue else {
            throw LexiconDocumentError(path: "id", "must be a string, found \(idValue.typeName)")
        }
        let id: NSID
        do {
            id = try NSID(idString)
        } catch {
            throw LexiconDocumentError(path: "id", "must be a valid NSID: \(error.message)")
        }
        var revision: Int64?
        if let value = map["revision"] {
            guard case .int(let number) = value else {
                throw LexiconDocumentError(path: "revision", "must be an integer, found \(value.typeName)")
            }
            revision = number
        }
        var description: String?
        if let value = map["description"] {
            guard case .string(let text) = value else {
                throw LexiconDocumentError(path: "description", "must be a string, found \(value.typeName)")
            }
            description = text
        }
        guard let defsValue = map["defs"] else { throw LexiconDocumentError(path: "defs", "is required") }
        guard case .map(let defsMap) = defsValue else {
            throw LexiconDocumentError(path: "defs", "must be an object, found \(defsValue.typeName)")
        }
        guard !defsMap.isEmpty else { throw LexiconDocumentError(path: "defs", "must have at least one definition") }

        let parser = LexiconSchemaParser(documentID: id.string)
        var defs: [String: LexiconSchema] = [:]
        for name in defsMap.keys.sorted() {
            guard let definition = defsMap[name] else { continue }
            defs[name] = try parser.parseDefinition(name: name, definition, path: "defs/\(name)")
        }
        self.lexicon = 1
        self.id = id
        self.revision = revision
        self.description = description
        self.defs = defs
    }

    /// The `main` definition, if any.
    public var main: LexiconSchema? { defs["main"] }
}
