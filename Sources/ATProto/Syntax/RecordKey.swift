/// A record key (`specs/record-key`): the last part of a record's path in a repository.
///
/// Rules: 1 to 512 characters from `A-Za-z0-9` and `._:~-`; `.` and `..` are not allowed.
/// Record keys are case-sensitive.
public struct RecordKey: SyntaxIdentifier {
    public let string: String

    public init(_ string: String) throws(SyntaxError) {
        if let problem = SyntaxBytes.withBytes(string, RecordKey.violation) {
            throw SyntaxError(kind: "record key", message: problem)
        }
        self.string = string
    }

    init(validated string: String) { self.string = string }

    /// Whether `string` is a syntactically valid record key.
    public static func isValid(_ string: String) -> Bool {
        SyntaxBytes.withBytes(string, violation) == nil
    }

    /// Returns nil when `bytes` is a valid record key, or what is wrong with it.
    static func violation(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let n = bytes.count
        if n == 0 { return "record key is empty" }
        if n > 512 { return "record key is too long (\(n) characters, 512 max)" }
        for b in bytes {
            if !(SyntaxBytes.isAlphanumeric(b) || b == SyntaxBytes.period || b == SyntaxBytes.hyphen
                || b == SyntaxBytes.underscore || b == SyntaxBytes.colon || b == SyntaxBytes.tilde)
            {
                return "record key may contain only ASCII letters, digits and . - _ : ~"
            }
        }
        if bytes[0] == SyntaxBytes.period && (n == 1 || (n == 2 && bytes[1] == SyntaxBytes.period)) {
            return "record key can not be \".\" or \"..\""
        }
        return nil
    }
}
