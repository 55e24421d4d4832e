/// An AT-URI in the restricted form used by Lexicons and repositories (`specs/at-uri-scheme`):
/// `at://<did-or-handle>[/<collection NSID>[/<record key>]]`.
///
/// No query, no fragment, no trailing slash, no empty or extra path segments, at most 8 KB.
public struct ATURI: SyntaxIdentifier {
    public let string: String
    /// The repository: a DID or a handle.
    public let authority: AtIdentifier
    /// The collection, when the URI names one.
    public let collection: NSID?
    /// The record key, when the URI names a record (then `collection` is set too).
    public let rkey: RecordKey?

    public init(_ string: String) throws(SyntaxError) {
        let parsed: Result<ATURI, SyntaxError> = SyntaxBytes.withBytes(string) { bytes in
            switch ATURI.split(bytes) {
            case .failure(let error):
                return .failure(error)
            case .success(let parts):
                return .success(
                    ATURI(
                        string: string,
                        authority: AtIdentifier(validatedBytes: SyntaxBytes.slice(bytes, parts.authority)),
                        collection: parts.collection.map { NSID(validated: SyntaxBytes.string(bytes, $0)) },
                        rkey: parts.rkey.map { RecordKey(validated: SyntaxBytes.string(bytes, $0)) }))
            }
        }
        self = try parsed.get()
    }

    /// `at://<authority>` or `at://<authority>/<collection>`.
    public init(authority: AtIdentifier, collection: NSID? = nil) {
        self.authority = authority
        self.collection = collection
        self.rkey = nil
        if let collection {
            self.string = "at://\(authority.string)/\(collection.string)"
        } else {
            self.string = "at://\(authority.string)"
        }
    }

    /// `at://<authority>/<collection>/<rkey>`: the URI of one record.
    public init(authority: AtIdentifier, collection: NSID, rkey: RecordKey) {
        self.authority = authority
        self.collection = collection
        self.rkey = rkey
        self.string = "at://\(authority.string)/\(collection.string)/\(rkey.string)"
    }

    private init(string: String, authority: AtIdentifier, collection: NSID?, rkey: RecordKey?) {
        self.string = string
        self.authority = authority
        self.collection = collection
        self.rkey = rkey
    }

    /// Whether `string` is a valid AT-URI in the restricted (Lexicon) form.
    public static func isValid(_ string: String) -> Bool {
        SyntaxBytes.withBytes(string) { bytes in
            if case .success = split(bytes) { return true }
            return false
        }
    }

    public static func == (lhs: ATURI, rhs: ATURI) -> Bool { lhs.string == rhs.string }
    public func hash(into hasher: inout Hasher) { hasher.combine(string) }

    struct Parts {
        var authority: Range<Int>
        var collection: Range<Int>?
        var rkey: Range<Int>?
    }

    /// Splits and validates; every returned range has passed its component's check.
    static func split(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Parts, SyntaxError> {
        func fail(_ message: String) -> Result<Parts, SyntaxError> {
            .failure(SyntaxError(kind: "at-uri", message: message))
        }
        let n = bytes.count
        if n > 8192 { return fail("AT-URI is too long (\(n) characters, 8192 max)") }
        if !SyntaxBytes.hasPrefix(bytes, "at://") { return fail("AT-URI must start with \"at://\"") }
        // Cut into at most three "/"-separated segments after "at://".
        var segments: (Range<Int>, Range<Int>, Range<Int>) = (5..<5, 5..<5, 5..<5)
        var count = 0
        var start = 5
        var i = 5
        while i <= n {
            if i == n || bytes[i] == SyntaxBytes.slash {
                switch count {
                case 0: segments.0 = start..<i
                case 1: segments.1 = start..<i
                case 2: segments.2 = start..<i
                default: return fail("AT-URI path can have at most two segments (collection and record key)")
                }
                if i > start {
                    count += 1
                } else {
                    if count == 0 { return fail("AT-URI authority is empty") }
                    return fail(i == n ? "AT-URI can not end with a slash" : "AT-URI can not have empty path segments")
                }
                start = i + 1
            } else if bytes[i] == SyntaxBytes.questionMark {
                return fail("AT-URI query part is not supported")
            } else if bytes[i] == SyntaxBytes.hash {
                return fail("AT-URI fragment part is not supported")
            }
            i += 1
        }
        var parts = Parts(authority: segments.0)
        if let problem = AtIdentifier.violation(SyntaxBytes.slice(bytes, segments.0)) {
            return fail("authority is not a valid DID or handle: \(problem)")
        }
        if count > 1 {
            if let problem = NSID.violation(SyntaxBytes.slice(bytes, segments.1)) {
                return fail("collection is not a valid NSID: \(problem)")
            }
            parts.collection = segments.1
        }
        if count > 2 {
            if let problem = RecordKey.violation(SyntaxBytes.slice(bytes, segments.2)) {
                return fail("record key is not valid: \(problem)")
            }
            parts.rkey = segments.2
        }
        return .success(parts)
    }
}
