/// The Lexicon `language` string format: a BCP 47 / RFC 5646 language tag such as `ja`, `pt-BR`
/// or `hy-Latn-IT-arevela`.
///
/// - `isWellFormed`: the RFC 5646 §2.1 grammar as the atproto reference applies it: primary
///   language 2-3 lower-case letters, up to three extlangs, script, region, variants,
///   extensions, private use (`x-...`), or one of the grandfathered tags (exact case).
/// - `isValid`: well-formed and no repeated variant or extension singleton (case-insensitive,
///   RFC 5646 §2.2.9 / §4.1), for example `de-DE-1901-1901` is well-formed but not valid.
public enum LanguageTag {
    static let grandfathered: Set<String> = [
        "en-GB-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon", "i-lux",
        "i-mingo", "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu", "sgn-BE-FR", "sgn-BE-NL", "sgn-CH-DE",
        "art-lojban", "cel-gaulish", "no-bok", "no-nyn", "zh-guoyu", "zh-hakka", "zh-min", "zh-min-nan",
        "zh-xiang",
    ]

    /// Whether `string` is a well-formed language tag with no repeated variant or singleton.
    public static func isValid(_ string: String) -> Bool {
        violation(string, rejectDuplicates: true) == nil
    }

    /// Whether `string` matches the BCP 47 grammar (repeated subtags allowed).
    public static func isWellFormed(_ string: String) -> Bool {
        violation(string, rejectDuplicates: false) == nil
    }

    /// Throws a `SyntaxError` saying what is wrong unless `isValid(string)`.
    public static func validate(_ string: String) throws(SyntaxError) {
        if let problem = violation(string, rejectDuplicates: true) {
            throw SyntaxError(kind: "language", message: problem)
        }
    }

    static func violation(_ string: String, rejectDuplicates: Bool) -> String? {
        let problem = SyntaxBytes.withBytes(string) { check($0, rejectDuplicates: rejectDuplicates) }
        if problem != nil && grandfathered.contains(string) { return nil }
        return problem
    }

    static func check(_ b: UnsafeBufferPointer<UInt8>, rejectDuplicates: Bool) -> String? {
        if b.isEmpty { return "language tag is empty" }
        // Split into subtags; each must be 1-8 ASCII letters or digits.
        var subtags: [Range<Int>] = []
        var start = 0
        for i in 0...b.count where i == b.count || b[i] == SyntaxBytes.hyphen {
            let length = i - start
            if length == 0 { return "language tag has an empty subtag" }
            if length > 8 { return "language subtags are at most 8 characters" }
            subtags.append(start..<i)
            start = i + 1
        }
        for i in 0..<b.count where !(SyntaxBytes.isAlphanumeric(b[i]) || b[i] == SyntaxBytes.hyphen) {
            return "language tag may contain only ASCII letters, digits and hyphens"
        }
        func allAlpha(_ r: Range<Int>) -> Bool { r.allSatisfy { SyntaxBytes.isAlpha(b[$0]) } }
        func allDigits(_ r: Range<Int>) -> Bool { r.allSatisfy { SyntaxBytes.isDigit(b[$0]) } }
        func isPrivateUseSingleton(_ r: Range<Int>) -> Bool { r.count == 1 && (b[r.lowerBound] | 0x20) == 0x78 }

        var i = 0
        // privateuse = "x" 1*("-" (1*8alphanum))
        if isPrivateUseSingleton(subtags[0]) {
            return subtags.count > 1 ? nil : "private-use tag needs at least one subtag after \"x\""
        }
        // language = 2*3ALPHA (lower-case, as in the reference)
        let language = subtags[0]
        guard (2...3).contains(language.count), language.allSatisfy({ SyntaxBytes.isLowerAlpha(b[$0]) }) else {
            return "primary language subtag must be 2 or 3 lower-case letters"
        }
        i = 1
        // extlang = 3ALPHA, up to three
        var extlangs = 0
        while i < subtags.count && extlangs < 3 && subtags[i].count == 3 && allAlpha(subtags[i]) {
            i += 1
            extlangs += 1
        }
        // script = 4ALPHA
        if i < subtags.count && subtags[i].count == 4 && allAlpha(subtags[i]) { i += 1 }
        // region = 2ALPHA / 3DIGIT
        if i < subtags.count
            && ((subtags[i].count == 2 && allAlpha(subtags[i])) || (subtags[i].count == 3 && allDigits(subtags[i])))
        {
            i += 1
        }
        // variant = 5*8alphanum / (DIGIT 3alphanum)
        let firstVariant = i
        while i < subtags.count
            && (subtags[i].count >= 5 || (subtags[i].count == 4 && SyntaxBytes.isDigit(b[subtags[i].lowerBound])))
        {
            if rejectDuplicates {
                for earlier in firstVariant..<i where SyntaxBytes.equalIgnoringCase(b, subtags[earlier], subtags[i]) {
                    return "language tag repeats the variant subtag \"\(SyntaxBytes.string(b, subtags[i]))\""
                }
            }
            i += 1
        }
        // extension = singleton 1*("-" (2*8alphanum)), singleton is any alphanum but "x"
        var singletons: [UInt8] = []
        while i < subtags.count && subtags[i].count == 1 && !isPrivateUseSingleton(subtags[i]) {
            let singleton = SyntaxBytes.lowercased(b[subtags[i].lowerBound])
            if rejectDuplicates && singletons.contains(singleton) {
                return "language tag repeats the extension singleton \"\(SyntaxBytes.string(b, subtags[i]))\""
            }
            singletons.append(singleton)
            i += 1
            let first = i
            while i < subtags.count && subtags[i].count >= 2 { i += 1 }
            if i == first { return "language extension needs at least one subtag of 2-8 characters" }
        }
        // privateuse at the end
        if i < subtags.count && isPrivateUseSingleton(subtags[i]) {
            return i + 1 < subtags.count ? nil : "private-use part needs at least one subtag after \"x\""
        }
        if i < subtags.count {
            return "unexpected language subtag \"\(SyntaxBytes.string(b, subtags[i]))\""
        }
        return nil
    }
}
