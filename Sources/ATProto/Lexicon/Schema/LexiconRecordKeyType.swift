/// The record key type of a Lexicon `record` (`specs/record-key`): `tid`, `nsid`, `any` or `literal:<value>`.
public enum LexiconRecordKeyType: Hashable, Sendable, CustomStringConvertible {
    case tid
    case nsid
    case any
    case literal(String)

    /// Parses the `key` field of a record definition.
    public init?(_ string: String) {
        switch string {
        case "tid": self = .tid
        case "nsid": self = .nsid
        case "any": self = .any
        default:
            guard string.hasPrefix("literal:") else { return nil }
            let value = String(string.dropFirst("literal:".count))
            guard RecordKey.isValid(value) else { return nil }
            self = .literal(value)
        }
    }

    public var description: String {
        switch self {
        case .tid: "tid"
        case .nsid: "nsid"
        case .any: "any"
        case .literal(let value): "literal:\(value)"
        }
    }

    /// Why `rkey` is not acceptable for this key type, or nil when it is.
    public func violation(_ rkey: String) -> String? {
        guard RecordKey.isValid(rkey) else { return "must be a valid record key" }
        switch self {
        case .any:
            return nil
        case .tid:
            return TID.isValid(rkey) ? nil : "must be a valid TID"
        case .nsid:
            return NSID.isValid(rkey) ? nil : "must be a valid NSID"
        case .literal(let value):
            return rkey == value ? nil : "must be \"\(value)\""
        }
    }
}
