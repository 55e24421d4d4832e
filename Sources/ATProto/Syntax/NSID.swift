/// A namespaced identifier (`specs/nsid`): a reversed domain authority followed by a name, for
/// example `app.bsky.feed.post` (authority `feed.bsky.app`, name `post`).
///
/// Rules: ASCII letters, digits, hyphens and periods; at least three segments; at most 317
/// characters (the spec's 253-character limit on the domain part is not enforced, as in the
/// reference and the interop vectors); every segment 1 to 63 characters, not starting or
/// ending with a hyphen; the first segment does not start with a digit; the name is letters and
/// digits and does not start with a digit. NSIDs are case-sensitive and never lower-cased here.
public struct NSID: SyntaxIdentifier {
    public let string: String

    public init(_ string: String) throws(SyntaxError) {
        if let problem = SyntaxBytes.withBytes(string, NSID.violation) {
            throw SyntaxError(kind: "nsid", message: problem)
        }
        self.string = string
    }

    init(validated string: String) { self.string = string }

    /// Builds `<reversed authority>.<name>`, for example `(authority: "feed.bsky.app", name: "post")`.
    public init(authority: String, name: String) throws(SyntaxError) {
        let reversed = authority.split(separator: ".", omittingEmptySubsequences: false).reversed()
        try self.init(reversed.joined(separator: ".") + "." + name)
    }

    /// Whether `string` is a syntactically valid NSID.
    public static func isValid(_ string: String) -> Bool {
        SyntaxBytes.withBytes(string, violation) == nil
    }

    /// The period-separated segments, in the order written.
    public var segments: [String] {
        string.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    /// The domain authority in normal (hostname) order, for example `feed.bsky.app`.
    public var authority: String {
        segments.dropLast().reversed().joined(separator: ".")
    }

    /// The last segment, for example `post`.
    public var name: String {
        guard let dot = string.utf8.lastIndex(of: SyntaxBytes.period) else { return string }
        return String(string[string.utf8.index(after: dot)...])
    }

    /// Returns nil when `bytes` is a valid NSID, or what is wrong with it.
    static func violation(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let n = bytes.count
        if n == 0 { return "NSID is empty" }
        if n > 317 { return "NSID is too long (\(n) characters, 317 max)" }
        var segmentStart = 0
        var segments = 0
        var lastDot = -1
        var i = 0
        while i <= n {
            if i == n || bytes[i] == SyntaxBytes.period {
                let length = i - segmentStart
                if length == 0 { return "NSID segments can not be empty" }
                if length > 63 { return "NSID segment is too long (\(length) characters, 63 max)" }
                if bytes[segmentStart] == SyntaxBytes.hyphen || bytes[i - 1] == SyntaxBytes.hyphen {
                    return "NSID segments can not start or end with a hyphen"
                }
                if segments == 0 && SyntaxBytes.isDigit(bytes[segmentStart]) {
                    return "NSID first segment can not start with a digit"
                }
                segments += 1
                if i < n { lastDot = i }
                segmentStart = i + 1
            } else {
                let b = bytes[i]
                if !(SyntaxBytes.isAlphanumeric(b) || b == SyntaxBytes.hyphen) {
                    return "NSID may contain only ASCII letters, digits, hyphens and periods"
                }
            }
            i += 1
        }
        if segments < 3 { return "NSID needs at least three segments (domain authority and name)" }
        let nameStart = lastDot + 1
        if !SyntaxBytes.isAlpha(bytes[nameStart]) { return "NSID name must start with an ASCII letter" }
        for j in nameStart..<n where !SyntaxBytes.isAlphanumeric(bytes[j]) {
            return "NSID name may contain only ASCII letters and digits"
        }
        return nil
    }
}
