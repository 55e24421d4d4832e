/// The Lexicon `cid` string format, checked at the syntax level only (as the atproto reference
/// validators do): 8 to 256 characters from `A-Za-z0-9+=`, and not a CIDv0 (`Qm...`), which
/// atproto does not allow. Use the `CID` type to decode a CID and check its contents.
public enum CIDSyntax {
    /// Whether `string` passes the `cid` format syntax check.
    public static func isValid(_ string: String) -> Bool {
        SyntaxBytes.withBytes(string, violation) == nil
    }

    /// Throws a `SyntaxError` saying what is wrong unless `isValid(string)`.
    public static func validate(_ string: String) throws(SyntaxError) {
        if let problem = SyntaxBytes.withBytes(string, violation) {
            throw SyntaxError(kind: "cid", message: problem)
        }
    }

    static func violation(_ b: UnsafeBufferPointer<UInt8>) -> String? {
        let n = b.count
        if n < 8 { return "CID string is too short (\(n) characters, 8 min)" }
        if n > 256 { return "CID string is too long (\(n) characters, 256 max)" }
        for c in b where !(SyntaxBytes.isAlphanumeric(c) || c == SyntaxBytes.plus || c == SyntaxBytes.equals) {
            return "CID string may contain only ASCII letters, digits, \"+\" and \"=\""
        }
        if SyntaxBytes.hasPrefix(b, "Qm") { return "CIDv0 strings (\"Qm...\") are not allowed in atproto" }
        return nil
    }
}
