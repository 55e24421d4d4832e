import Testing

@testable import ATProto

@Suite struct LanguageTagTests {
    @Test func grammar() {
        for tag in ["en", "fr-CA", "zh-Hant-TW", "zh-yue-HK", "sr-Latn-RS", "es-419", "de-1996", "x-whatever",
            "en-a-bbb-x-a-ccc", "i-klingon", "en-GB-oed", "zh-min-nan"]
        {
            #expect(LanguageTag.isValid(tag), "\(tag)")
        }
        for tag in ["", "e", "english", "EN", "en-", "-en", "en--US", "en-US-", "en_US", "en-a", "en-x",
            "x", "en-abcdefghi", "i-foo", "en-a-b", "I-KLINGON", "en-US-US", "e1"]
        {
            #expect(!LanguageTag.isWellFormed(tag), "\(tag.debugDescription)")
        }
    }

    @Test func duplicates() throws {
        #expect(LanguageTag.isWellFormed("de-DE-1901-1901"))
        #expect(!LanguageTag.isValid("de-DE-1901-1901"))
        #expect(LanguageTag.isValid("sl-rozaj-biske"))
        #expect(!LanguageTag.isValid("en-a-foo-A-bar"))
        // Private-use subtags may repeat.
        #expect(LanguageTag.isValid("en-x-a-a"))
        do {
            try LanguageTag.validate("en-rozaj-ROZAJ")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == "language")
            #expect(error.message.contains("repeats"))
        }
    }
}
