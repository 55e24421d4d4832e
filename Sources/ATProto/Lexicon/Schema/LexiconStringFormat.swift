/// The `format` of a Lexicon `string` (`specs/lexicon#string-formats`), checked with the Syntax validators.
public enum LexiconStringFormat: String, CaseIterable, Hashable, Sendable {
    case atIdentifier = "at-identifier"
    case atURI = "at-uri"
    case cid
    case datetime
    case did
    case handle
    case nsid
    case tid
    case recordKey = "record-key"
    case uri
    case language

    /// Whether `string` satisfies this format.
    public func isValid(_ string: String) -> Bool {
        switch self {
        case .atIdentifier: AtIdentifier.isValid(string)
        case .atURI: ATURI.isValid(string)
        case .cid: CIDSyntax.isValid(string)
        case .datetime: Datetime.isValid(string)
        case .did: DID.isValid(string)
        case .handle: Handle.isValid(string)
        case .nsid: NSID.isValid(string)
        case .tid: TID.isValid(string)
        case .recordKey: RecordKey.isValid(string)
        case .uri: URISyntax.isValid(string)
        case .language: LanguageTag.isValid(string)
        }
    }

    /// What a valid value is, for error messages ("must be a valid did").
    var requirement: String {
        switch self {
        case .atIdentifier: "a valid did or a handle"
        case .atURI: "a valid at-uri"
        case .cid: "a cid string"
        case .datetime: "a valid atproto datetime (both RFC-3339 and ISO-8601)"
        case .did: "a valid did"
        case .handle: "a valid handle"
        case .nsid: "a valid nsid"
        case .tid: "a valid TID"
        case .recordKey: "a valid Record Key"
        case .uri: "a uri"
        case .language: "a well-formed BCP 47 language tag"
        }
    }
}
