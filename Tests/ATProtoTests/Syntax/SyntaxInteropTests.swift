import Foundation
import Testing

@testable import ATProto

/// Every case of the atproto interop syntax vectors (`../shared/interop/syntax`): valid lines must
/// be accepted and invalid lines rejected, by both `isValid` and the throwing initialiser.
@Suite struct SyntaxInteropTests {
    /// Loads a vector file and fails if it is missing or empty.
    func cases(_ file: String) throws -> [String] {
        let lines = try Interop.lines("syntax/\(file)")
        #expect(!lines.isEmpty, "no cases in \(file)")
        return lines
    }

    func checkIdentifier<T: SyntaxIdentifier>(
        _ type: T.Type, _ name: String, isValid: (String) -> Bool
    ) throws {
        for line in try cases("\(name)_syntax_valid.txt") {
            #expect(isValid(line), "\(name) should be valid: \(line.debugDescription)")
            let value = try #require(try? T(line), "\(name) init should accept: \(line.debugDescription)")
            #expect(value.string == line)
        }
        for line in try cases("\(name)_syntax_invalid.txt") {
            #expect(!isValid(line), "\(name) should be invalid: \(line.debugDescription)")
            #expect(throws: SyntaxError.self, "\(name) init should reject: \(line.debugDescription)") {
                try T(line)
            }
        }
    }

    @Test func handle() throws { try checkIdentifier(Handle.self, "handle", isValid: Handle.isValid) }
    @Test func did() throws { try checkIdentifier(DID.self, "did", isValid: DID.isValid) }
    @Test func nsid() throws { try checkIdentifier(NSID.self, "nsid", isValid: NSID.isValid) }
    @Test func recordKey() throws { try checkIdentifier(RecordKey.self, "recordkey", isValid: RecordKey.isValid) }
    @Test func atIdentifier() throws {
        try checkIdentifier(AtIdentifier.self, "atidentifier", isValid: AtIdentifier.isValid)
    }
    @Test func atURI() throws { try checkIdentifier(ATURI.self, "aturi", isValid: ATURI.isValid) }
    @Test func tid() throws { try checkIdentifier(TID.self, "tid", isValid: TID.isValid) }

    @Test func datetime() throws {
        for line in try cases("datetime_syntax_valid.txt") {
            #expect(Datetime.isWellFormed(line), "should be well-formed: \(line.debugDescription)")
            #expect(Datetime.isValid(line), "should be valid: \(line.debugDescription)")
            #expect(throws: Never.self, "should parse: \(line.debugDescription)") { try Datetime.parse(line) }
        }
        for line in try cases("datetime_syntax_invalid.txt") {
            #expect(!Datetime.isWellFormed(line), "should be malformed: \(line.debugDescription)")
            #expect(!Datetime.isValid(line), "should be invalid: \(line.debugDescription)")
            #expect(throws: SyntaxError.self, "should not parse: \(line.debugDescription)") {
                try Datetime.parse(line)
            }
        }
        // Well-formed, but not a real instant: rejected by isValid and parse.
        for line in try cases("datetime_parse_invalid.txt") {
            #expect(Datetime.isWellFormed(line), "should be well-formed: \(line.debugDescription)")
            #expect(!Datetime.isValid(line), "should be invalid: \(line.debugDescription)")
            #expect(throws: SyntaxError.self, "should not parse: \(line.debugDescription)") {
                try Datetime.parse(line)
            }
        }
    }

    @Test func language() throws {
        for line in try cases("language_syntax_valid.txt") {
            #expect(LanguageTag.isWellFormed(line), "should be well-formed: \(line.debugDescription)")
            #expect(LanguageTag.isValid(line), "should be valid: \(line.debugDescription)")
        }
        for line in try cases("language_syntax_invalid.txt") {
            #expect(!LanguageTag.isWellFormed(line), "should be malformed: \(line.debugDescription)")
            #expect(!LanguageTag.isValid(line), "should be invalid: \(line.debugDescription)")
        }
        // Well-formed, but a variant or extension singleton repeats: not valid.
        for line in try cases("language_parse_invalid.txt") {
            #expect(LanguageTag.isWellFormed(line), "should be well-formed: \(line.debugDescription)")
            #expect(!LanguageTag.isValid(line), "should be invalid: \(line.debugDescription)")
            #expect(throws: SyntaxError.self) { try LanguageTag.validate(line) }
        }
    }

    @Test func uri() throws {
        for line in try cases("uri_syntax_valid.txt") {
            #expect(URISyntax.isValid(line), "should be valid: \(line.debugDescription)")
        }
        for line in try cases("uri_syntax_invalid.txt") {
            #expect(!URISyntax.isValid(line), "should be invalid: \(line.debugDescription)")
            #expect(throws: SyntaxError.self) { try URISyntax.validate(line) }
        }
    }

    @Test func cid() throws {
        for line in try cases("cid_syntax_valid.txt") {
            #expect(CIDSyntax.isValid(line), "should be valid: \(line.debugDescription)")
        }
        for line in try cases("cid_syntax_invalid.txt") {
            #expect(!CIDSyntax.isValid(line), "should be invalid: \(line.debugDescription)")
            #expect(throws: SyntaxError.self) { try CIDSyntax.validate(line) }
        }
    }

    /// Every vector file in the folder is covered by one of the tests above.
    @Test func everyVectorFileIsCovered() throws {
        let covered: Set<String> = [
            "handle", "did", "nsid", "recordkey", "atidentifier", "aturi", "tid", "datetime", "language", "uri", "cid",
        ]
        let folder = Interop.directory.appendingPathComponent("syntax")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".txt") }
        #expect(files.count >= 24)
        for file in files {
            let prefix = String(file.prefix { $0 != "_" })
            #expect(covered.contains(prefix), "vector file \(file) is not run by any test")
        }
    }
}
