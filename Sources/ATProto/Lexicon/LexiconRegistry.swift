/// A set of Lexicon documents, with their definitions addressable by reference (`nsid`, `nsid#main`,
/// `nsid#name`). Immutable once built and cheap to share.
public struct LexiconRegistry: Sendable {
    /// The documents by NSID.
    public private(set) var documents: [String: LexiconDocument] = [:]
    /// Every definition by absolute reference (`nsid#name`).
    private(set) var definitions: [String: LexiconSchema] = [:]

    public init() {}

    /// A registry of `documents`; two documents with one NSID are refused.
    public init(_ documents: some Sequence<LexiconDocument>) throws(LexiconDocumentError) {
        for document in documents { try add(document) }
    }

    /// Adds a document; refuses a second document with the same NSID.
    public mutating func add(_ document: LexiconDocument) throws(LexiconDocumentError) {
        let id = document.id.string
        guard documents[id] == nil else {
            throw LexiconDocumentError(path: "id", "a lexicon document \(id) is already registered")
        }
        documents[id] = document
        for (name, schema) in document.defs {
            definitions["\(id)#\(name)"] = schema
        }
    }

    /// The document with NSID `id`.
    public func document(_ id: String) -> LexiconDocument? { documents[id] }

    /// The definition a reference names: `nsid` (its `main`), `nsid#main` or `nsid#name`.
    public func definition(_ reference: String) -> LexiconSchema? {
        definitions[reference.utf8.contains(UInt8(ascii: "#")) ? reference : reference + "#main"]
    }

    /// The record definition of a collection, when this registry knows one.
    public func record(_ collection: String) -> LexiconRecord? {
        guard case .record(let record) = definitions[collection + "#main"] else { return nil }
        return record
    }

    /// Every reference in every document that names no definition here, or names a definition that
    /// can not be referenced (a `token` or a primary type other than a record), as
    /// `(from: "nsid#def", to: "nsid#name")`, sorted. Empty when the registry is self-contained.
    public var unresolvedReferences: [(from: String, to: String)] {
        var result: [(from: String, to: String)] = []
        for key in definitions.keys.sorted() {
            guard let schema = definitions[key] else { continue }
            for target in schema.references {
                switch definitions[target] {
                case nil, .token, .query, .procedure, .subscription, .permissionSet:
                    result.append((from: key, to: target))
                default:
                    continue
                }
            }
        }
        return result
    }
}
