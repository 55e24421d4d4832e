import Testing

@testable import ATProto

@Suite struct RecordKeyTests {
    @Test func dotsAndLength() {
        #expect(!RecordKey.isValid("."))
        #expect(!RecordKey.isValid(".."))
        #expect(RecordKey.isValid("..."))
        #expect(RecordKey.isValid(".a"))
        #expect(RecordKey.isValid("a."))
        #expect(!RecordKey.isValid(""))
        #expect(RecordKey.isValid(String(repeating: "o", count: 512)))
        #expect(!RecordKey.isValid(String(repeating: "o", count: 513)))
    }

    @Test func characters() throws {
        #expect(RecordKey.isValid("self"))
        #expect(RecordKey.isValid("3jzfcijpj2z2a"))
        #expect(RecordKey.isValid("a-b_c~d:e.f"))
        for bad in ["a/b", "a b", "a#b", "a?b", "a%20", "a+b", "a@b", "é", "a\u{0}"] {
            #expect(!RecordKey.isValid(bad), "\(bad.debugDescription)")
        }
        do {
            _ = try RecordKey("..")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == "record key")
            #expect(error.message.contains("\"..\""))
        }
    }
}
