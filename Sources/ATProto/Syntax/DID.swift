/// A decentralized identifier as atproto accepts it (`specs/did`): `did:<method>:<identifier>`.
///
/// Rules: ASCII letters, digits and `._:%-` only; starts `did:`; the method is one or more
/// lower-case letters; the identifier is non-empty and does not end with `:` or `%`; at most
/// 2048 characters. Any method is syntactically valid; whether it is supported (plc, web) is an
/// application question. Percent-escapes are not decoded or checked (as in the reference).
public struct DID: SyntaxIdentifier {
    public let string: String

    public init(_ string: String) throws(SyntaxError) {
        if let problem = SyntaxBytes.withBytes(string, DID.violation) {
            throw SyntaxError(kind: "did", message: problem)
        }
        self.string = string
    }

    init(validated string: String) { self.string = string }

    /// Whether `string` is a syntactically valid DID.
    public static func isValid(_ string: String) -> Bool {
        SyntaxBytes.withBytes(string, violation) == nil
    }

    /// The method name, for example `plc` or `web`.
    public var method: String {
        let afterPrefix = string.utf8.index(string.utf8.startIndex, offsetBy: 4)
        let end = string.utf8[afterPrefix...].firstIndex(of: SyntaxBytes.colon) ?? string.utf8.endIndex
        return String(string[afterPrefix..<end])
    }

    /// The method-specific identifier: everything after `did:<method>:`.
    public var identifier: String {
        let afterPrefix = string.utf8.index(string.utf8.startIndex, offsetBy: 4)
        guard let colon = string.utf8[afterPrefix...].firstIndex(of: SyntaxBytes.colon) else { return "" }
        return String(string[string.utf8.index(after: colon)...])
    }

    /// Returns nil when `bytes` is a valid DID, or what is wrong with it.
    static func violation(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let n = bytes.count
        if !SyntaxBytes.hasPrefix(bytes, "did:") { return "DID must start with \"did:\"" }
        if n > 2048 { return "DID is too long (\(n) characters, 2048 max)" }
        var i = 4
        while i < n && SyntaxBytes.isLowerAlpha(bytes[i]) { i += 1 }
        if i == 4 { return "DID method must be one or more lower-case letters" }
        if i == n { return "DID needs a method and a method-specific identifier" }
        if bytes[i] != SyntaxBytes.colon { return "DID method must be lower-case letters only" }
        i += 1
        if i == n { return "DID method-specific identifier is empty" }
        while i < n {
            let b = bytes[i]
            if !(SyntaxBytes.isAlphanumeric(b) || b == SyntaxBytes.period || b == SyntaxBytes.underscore
                || b == SyntaxBytes.colon || b == SyntaxBytes.percent || b == SyntaxBytes.hyphen)
            {
                return "DID may contain only ASCII letters, digits and . _ : % -"
            }
            i += 1
        }
        let last = bytes[n - 1]
        if last == SyntaxBytes.colon || last == SyntaxBytes.percent { return "DID can not end with \":\" or \"%\"" }
        return nil
    }
}
