/// An atproto handle: a DNS hostname such as `alice.example.com` (`specs/handle`).
///
/// Rules: ASCII letters, digits, hyphens and periods only; at most 253 characters; at least two
/// labels; every label 1 to 63 characters, not starting or ending with a hyphen; the last label
/// (TLD) starts with a letter. Handles are case-insensitive: compare and store `normalized`.
/// `string` keeps the input exactly as given; `==` compares `string`.
public struct Handle: SyntaxIdentifier {
    public let string: String

    /// The placeholder shown for accounts whose handle does not verify.
    public static let invalidHandle = "handle.invalid"

    /// TLDs that atproto refuses at registration time (they remain valid handle syntax).
    public static let disallowedTLDs: [String] = [
        ".local", ".arpa", ".invalid", ".localhost", ".internal", ".example", ".alt", ".onion",
    ]

    public init(_ string: String) throws(SyntaxError) {
        if let problem = SyntaxBytes.withBytes(string, Handle.violation) {
            throw SyntaxError(kind: "handle", message: problem)
        }
        self.string = string
    }

    /// Wraps a string that was already validated.
    init(validated string: String) { self.string = string }

    /// Whether `string` is a syntactically valid handle.
    public static func isValid(_ string: String) -> Bool {
        SyntaxBytes.withBytes(string, violation) == nil
    }

    /// The handle lower-cased (the form to store, compare and resolve).
    public var normalized: String {
        SyntaxBytes.withBytes(string) { bytes in
            String(unsafeUninitializedCapacity: bytes.count) { out in
                for i in 0..<bytes.count { out[i] = SyntaxBytes.lowercased(bytes[i]) }
                return bytes.count
            }
        }
    }

    /// Whether the handle ends in a TLD that atproto refuses for new registrations
    /// (`.local`, `.arpa`, `.invalid`, `.localhost`, `.internal`, `.example`, `.alt`, `.onion`).
    public var hasDisallowedTLD: Bool {
        let lower = normalized
        return Handle.disallowedTLDs.contains { lower.hasSuffix($0) }
    }

    /// Returns nil when `bytes` is a valid handle, or what is wrong with it.
    static func violation(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let n = bytes.count
        if n == 0 { return "handle is empty" }
        if n > 253 { return "handle is too long (\(n) characters, 253 max)" }
        var labelStart = 0
        var labels = 0
        var i = 0
        while i <= n {
            if i == n || bytes[i] == SyntaxBytes.period {
                let length = i - labelStart
                if length == 0 { return "handle labels can not be empty" }
                if length > 63 { return "handle label is too long (\(length) characters, 63 max)" }
                if bytes[labelStart] == SyntaxBytes.hyphen || bytes[i - 1] == SyntaxBytes.hyphen {
                    return "handle labels can not start or end with a hyphen"
                }
                labels += 1
                if i == n {
                    if labels < 2 { return "handle needs at least two labels (domain and TLD)" }
                    if !SyntaxBytes.isAlpha(bytes[labelStart]) {
                        return "handle TLD (last label) must start with an ASCII letter"
                    }
                }
                labelStart = i + 1
            } else {
                let b = bytes[i]
                if !(SyntaxBytes.isAlphanumeric(b) || b == SyntaxBytes.hyphen) {
                    return "handle may contain only ASCII letters, digits, hyphens and periods"
                }
            }
            i += 1
        }
        return nil
    }
}
