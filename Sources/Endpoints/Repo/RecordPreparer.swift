import ATProto
import Storage

/// Turns the record writes of `createRecord`, `putRecord`, `deleteRecord` and `applyWrites` into
/// ``RecordWrite``s before the database transaction (PDS-REFERENCE §3.8): collection and record-key syntax,
/// `$type` defaulting and checking, Lexicon validation per the `validate` parameter, the data-model check,
/// DAG-CBOR encoding, blob references and the follow/block/like/repost backlinks.
struct RecordPreparer: Sendable {
    /// A write ready for ``RepoStore/applyWrites(did:writes:swapCommit:)`` and what the response reports.
    struct Prepared: Sendable {
        var write: RecordWrite
        /// nil when validation was skipped (`validate: false`) or for a delete.
        var validationStatus: LexiconValidationStatus?
    }

    /// The collections whose records supersede an older record with the same link (the reference's
    /// `getBacklinks`), and the path of that link.
    static let backlinkPaths: [String: String] = [
        "app.bsky.graph.follow": "subject",
        "app.bsky.graph.block": "subject",
        "app.bsky.feed.like": "subject.uri",
        "app.bsky.feed.repost": "subject.uri",
    ]

    private let lexicons: Result<LexiconRegistry, LexiconDocumentError>
    let tids: TIDGenerator

    init(tids: TIDGenerator = .shared) {
        self.lexicons = Result { () throws(LexiconDocumentError) in try LexiconRegistry.bundled }
        self.tids = tids
    }

    /// A create (`rkey` nil: a new TID) or, with `action` `.put`/`.update`, a put or update.
    func prepareRecord(
        action: RecordWrite.Action, collection: String, rkey: String?, record: [String: DataValue], validate: Bool?,
        swap: RecordWrite.Swap = .unchecked
    ) throws(XRPCError) -> Prepared {
        try checkCollection(collection)
        let key = rkey ?? tids.next().string
        try checkRecordKey(key)
        // As the reference's prepareWrite: a key the client chose must not carry an explicit slur.
        if rkey != nil, ExplicitSlurs.contains(key) {
            throw XRPCError.invalidRequest("Unacceptable slur in record key")
        }
        var fields = record
        switch fields["$type"] {
        case nil, .null?, .string("")?:
            fields["$type"] = .string(collection)
        case .string(let type)?:
            if validate != false, type != collection {
                throw XRPCError.invalidRequest("Invalid $type: expected \(collection), got \(type)")
            }
        default:
            throw XRPCError.invalidRequest("Invalid \(collection) record: Record/$type must be a string")
        }
        let value = DataValue.map(fields)
        do {
            try value.validateDataModel(path: "Record")
        } catch {
            throw XRPCError.invalidRequest("Invalid \(collection) record: \(error.description)")
        }
        let status = try validateLexicon(collection: collection, value: value, rkey: key, validate: validate)
        let backlinks = Self.backlinks(collection: collection, fields: fields)
        let write = RecordWrite(
            action: action, collection: collection, rkey: key, record: EncodedRecord(value), swap: swap,
            blobs: BlobRef.all(in: value), backlinks: backlinks,
            replaceSameBacklinks: validate != false && action == .create && !backlinks.isEmpty)
        return Prepared(write: write, validationStatus: status)
    }

    func prepareDelete(collection: String, rkey: String, swap: RecordWrite.Swap = .unchecked) throws(XRPCError) -> Prepared {
        try checkCollection(collection)
        try checkRecordKey(rkey)
        return Prepared(write: RecordWrite(action: .delete, collection: collection, rkey: rkey, swap: swap), validationStatus: nil)
    }

    func checkCollection(_ collection: String) throws(XRPCError) {
        guard NSID.isValid(collection) else {
            throw XRPCError.invalidRequest("Invalid collection: \"\(collection)\" is not a valid NSID")
        }
    }

    func checkRecordKey(_ rkey: String) throws(XRPCError) {
        guard RecordKey.isValid(rkey) else {
            throw XRPCError.invalidRequest("Invalid record key: \"\(rkey)\"")
        }
    }

    private func validateLexicon(
        collection: String, value: DataValue, rkey: String, validate: Bool?
    ) throws(XRPCError) -> LexiconValidationStatus? {
        if validate == false { return nil }
        let registry: LexiconRegistry
        switch lexicons {
        case .success(let loaded): registry = loaded
        case .failure: throw XRPCError.internalServerError()
        }
        do {
            return try registry.validateRecord(collection: collection, value: value, rkey: rkey, validate: validate)
        } catch {
            switch error.kind {
            case .unknownLexicon:
                throw XRPCError.invalidRequest("Unknown lexicon type: \(collection)")
            case .invalidRecordKey:
                throw XRPCError.invalidRequest(error.message)
            case .invalidData, .unresolvedReference:
                throw XRPCError.invalidRequest("Invalid \(collection) record: \(error.description)")
            }
        }
    }

    /// The backlink a follow/block (`subject` DID) or like/repost (`subject.uri`) holds.
    static func backlinks(collection: String, fields: [String: DataValue]) -> [RecordWrite.Backlink] {
        guard let path = backlinkPaths[collection] else { return [] }
        let target: String?
        switch path {
        case "subject": target = fields["subject"]?.stringValue
        default: target = fields["subject"]?["uri"]?.stringValue
        }
        guard let target, !target.isEmpty else { return [] }
        return [RecordWrite.Backlink(path: path, linkTo: target)]
    }
}
