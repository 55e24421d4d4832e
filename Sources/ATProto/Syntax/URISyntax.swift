/// The Lexicon `uri` string format: any URI with an RFC 3986 scheme (`https:`, `at:`, `did:`,
/// `dns:`, ...), at most 8192 bytes.
///
/// Rules: a scheme (a letter, then letters, digits, `+`, `-`, `.`), a colon, an optional `//`,
/// then at least one character that is not `/`; no whitespace or control characters anywhere.
/// Non-ASCII characters (IRIs) are accepted, as by the atproto reference validator.
public enum URISyntax {
    /// Whether `string` is a valid `uri`-format string.
    public static func isValid(_ string: String) -> Bool { violation(string) == nil }

    /// Throws a `SyntaxError` saying what is wrong unless `isValid(string)`.
    public static func validate(_ string: String) throws(SyntaxError) {
        if let problem = violation(string) { throw SyntaxError(kind: "uri", message: problem) }
    }

    static func violation(_ string: String) -> String? {
        let (problem, hasNonASCII) = SyntaxBytes.withBytes(string, asciiViolation)
        if let problem { return problem }
        if hasNonASCII {
            for scalar in string.unicodeScalars where scalar.value >= 0x80 {
                if scalar.properties.isWhitespace || (0x80...0x9F).contains(scalar.value) {
                    return "URI can not contain whitespace or control characters"
                }
            }
        }
        return nil
    }

    /// Checks everything but the non-ASCII characters, and reports whether there are any.
    static func asciiViolation(_ b: UnsafeBufferPointer<UInt8>) -> (String?, Bool) {
        let n = b.count
        if n == 0 { return ("URI is empty", false) }
        if n > 8192 { return ("URI is too long (\(n) bytes, 8192 max)", false) }
        guard SyntaxBytes.isAlpha(b[0]) else { return ("URI must start with a scheme (a letter first)", false) }
        var i = 1
        while i < n && (SyntaxBytes.isAlphanumeric(b[i]) || b[i] == SyntaxBytes.plus || b[i] == SyntaxBytes.hyphen
            || b[i] == SyntaxBytes.period)
        {
            i += 1
        }
        guard i < n && b[i] == SyntaxBytes.colon else {
            return ("URI scheme must be letters, digits, \"+\", \"-\" or \".\" followed by \":\"", false)
        }
        i += 1
        if i + 1 < n && b[i] == SyntaxBytes.slash && b[i + 1] == SyntaxBytes.slash { i += 2 }
        guard i < n, b[i] != SyntaxBytes.slash else { return ("URI has nothing after the scheme", false) }
        var hasNonASCII = false
        for j in i..<n {
            let c = b[j]
            if c >= 0x80 {
                hasNonASCII = true
            } else if c <= 0x20 || c == 0x7F {
                return ("URI can not contain whitespace or control characters", false)
            }
        }
        return (nil, hasNonASCII)
    }
}
