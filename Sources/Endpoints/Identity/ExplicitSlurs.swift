import Foundation

/// The explicit-slur check the reference PDS applies to new handles (`handle/explicit-slurs.ts`, "Inappropriate
/// language in handle") and to the record keys of created and updated records (`repo/prepare.ts`, "Unacceptable
/// slur in record key").
///
/// The word list is the reference's (itself from github.com/Blank-Cheque/Slurs): seven patterns, each matched
/// against the text as given and against the text with `.`, `-` and `_` removed. The reference writes each
/// letter as a class of look-alikes (accented Latin, Cyrillic, full-width forms); the texts checked here are
/// always ASCII (a handle or record key that passed its syntax check), and the reference's expressions have no
/// `u` flag, so only the ASCII members of those classes can ever match. The patterns below are exactly those
/// ASCII members, in the reference's order, and keep its case sensitivity (handles are lower-cased first; record
/// keys are not).
public enum ExplicitSlurs {
    /// The reference's patterns, reduced to the ASCII members of each character class.
    static let patterns = [
        #"\b[c][Hh][1Iil][Nn][k][Ss]?\b"#,
        #"\b[c][0Oo]{2}[Nn][Ss]?\b"#,
        #"\b[f][4@Aa][Gg]{1,2}([013EIOeilo][Tt]{1,2}([Rr][Yy]|[Rr][1Iil][3Ee])?)?[Ss]?\b"#,
        #"\b[k][1IYily][k][3Ee]([Rr][Yy]|[Rr][1Iil][3Ee])?[Ss]*\b"#,
        #"\b[Nn][14AIOailo][Ggq]{2}(l[3Ee]t|[3AEae][Rr]?|n[0Oo][Ggq]|[4Aa]?)?[Ss]?\b"#,
        #"[Nn][14AIOailo][Ggq]{2}(l[3Ee]t|[3Ee][Rr])[Ss]?"#,
        #"\b[Tt][Rr][4Aa]+[Nn]{1,2}([1Iil][3Ee]|[Yy]|[3Ee][Rr])[Ss]?\b"#,
    ]

    /// All patterns as one alternation: one scan per text instead of seven.
    private static let expression: NSRegularExpression = {
        let combined = patterns.map { "(?:\($0))" }.joined(separator: "|")
        // The patterns are constants; a failure to compile them is a programming error caught by the tests.
        return try! NSRegularExpression(pattern: combined)
    }()

    /// Whether `text` contains one of the reference's explicit slurs, as written or with `.`, `-` and `_` removed.
    public static func contains(_ text: String) -> Bool {
        if matches(text) { return true }
        let squeezed = String(text.unicodeScalars.filter { $0 != "." && $0 != "-" && $0 != "_" })
        return squeezed != text && matches(squeezed)
    }

    private static func matches(_ text: String) -> Bool {
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        return expression.firstMatch(in: text, options: [], range: range) != nil
    }
}
