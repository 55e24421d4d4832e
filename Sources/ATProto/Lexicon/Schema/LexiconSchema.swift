/// One schema definition of the Lexicon language (`specs/lexicon`): a named definition in a document's
/// `defs`, or a nested field, array item, body or message schema.
///
/// References (`ref`, and every member of a `union`) are stored absolute, as `nsid#name` (a bare NSID
/// becomes `nsid#main`, a local `#name` gets the document's NSID), so a definition can be used without
/// knowing which document it came from.
public indirect enum LexiconSchema: Hashable, Sendable {
    case boolean(LexiconBoolean)
    case integer(LexiconInteger)
    case string(LexiconString)
    case bytes(LexiconBytes)
    case cidLink
    case blob(LexiconBlob)
    case array(LexiconArray)
    case object(LexiconObject)
    /// The `params` of a query, procedure or subscription (an object without `nullable`).
    case params(LexiconObject)
    case token
    /// A reference to another definition, absolute (`nsid#name`).
    case ref(String)
    case union(LexiconUnion)
    case unknown
    case record(LexiconRecord)
    case query(LexiconXRPC)
    case procedure(LexiconXRPC)
    case subscription(LexiconSubscription)
    case permissionSet(LexiconPermissionSet)

    /// The Lexicon `type` name (`"cid-link"`, `"permission-set"`, ...).
    public var typeName: String {
        switch self {
        case .boolean: "boolean"
        case .integer: "integer"
        case .string: "string"
        case .bytes: "bytes"
        case .cidLink: "cid-link"
        case .blob: "blob"
        case .array: "array"
        case .object: "object"
        case .params: "params"
        case .token: "token"
        case .ref: "ref"
        case .union: "union"
        case .unknown: "unknown"
        case .record: "record"
        case .query: "query"
        case .procedure: "procedure"
        case .subscription: "subscription"
        case .permissionSet: "permission-set"
        }
    }

    /// Whether this is one of the primary types, which may only be a document's `main` definition.
    public var isPrimary: Bool {
        switch self {
        case .record, .query, .procedure, .subscription, .permissionSet: true
        default: false
        }
    }

    /// Every reference this schema makes, directly or in nested schemas (absolute `nsid#name` form).
    public var references: [String] {
        var found: [String] = []
        collectReferences(into: &found)
        return found
    }

    func collectReferences(into found: inout [String]) {
        switch self {
        case .ref(let target):
            found.append(target)
        case .union(let union):
            found.append(contentsOf: union.refs)
        case .array(let array):
            array.items.collectReferences(into: &found)
        case .object(let object), .params(let object):
            for name in object.propertyNames {
                object.properties[name]?.collectReferences(into: &found)
            }
        case .record(let record):
            LexiconSchema.object(record.record).collectReferences(into: &found)
        case .query(let xrpc), .procedure(let xrpc):
            if let parameters = xrpc.parameters { LexiconSchema.params(parameters).collectReferences(into: &found) }
            xrpc.input?.schema?.collectReferences(into: &found)
            xrpc.output?.schema?.collectReferences(into: &found)
        case .subscription(let subscription):
            if let parameters = subscription.parameters {
                LexiconSchema.params(parameters).collectReferences(into: &found)
            }
            found.append(contentsOf: subscription.message.refs)
        case .boolean, .integer, .string, .bytes, .cidLink, .blob, .token, .unknown, .permissionSet:
            return
        }
    }
}
