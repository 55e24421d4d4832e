import Foundation
import Testing

@testable import ATProto

@Suite struct HandleTests {
    @Test func lengthLimits() throws {
        // 253 characters overall is the maximum.
        let label63 = String(repeating: "a", count: 63)
        let max = [label63, label63, label63, String(repeating: "b", count: 61)].joined(separator: ".")
        #expect(max.utf8.count == 253)
        #expect(Handle.isValid(max))
        #expect(!Handle.isValid(max + "c"))
        // A label of 63 is fine, 64 is not.
        #expect(Handle.isValid("short.\(label63).test"))
        #expect(!Handle.isValid("short.\(label63)a.test"))
    }

    @Test func labelRules() {
        #expect(Handle.isValid("a.co"))
        #expect(Handle.isValid("4chan.org"))
        #expect(Handle.isValid("xn--bcher-kva.tld"))
        #expect(!Handle.isValid("-a.test"))
        #expect(!Handle.isValid("a-.test"))
        #expect(!Handle.isValid("a.-test"))
        #expect(!Handle.isValid("a.test-"))
        #expect(!Handle.isValid("a.0test"))  // TLD starts with a digit
        #expect(!Handle.isValid("a..test"))
        #expect(!Handle.isValid(".a.test"))
        #expect(!Handle.isValid("a.test."))
        #expect(!Handle.isValid("test"))
        #expect(!Handle.isValid(""))
        #expect(!Handle.isValid("a_b.test"))
        #expect(!Handle.isValid("bücher.test"))
        #expect(!Handle.isValid("a.test\u{0}"))
    }

    @Test func normalizationAndEquality() throws {
        let handle = try Handle("Alice.EXAMPLE.com")
        #expect(handle.string == "Alice.EXAMPLE.com")
        #expect(handle.normalized == "alice.example.com")
        #expect(handle.description == "Alice.EXAMPLE.com")
        #expect(try Handle(handle.normalized) == Handle("alice.example.com"))
    }

    @Test func disallowedTLDs() throws {
        #expect(try Handle("alice.local").hasDisallowedTLD)
        #expect(try Handle("alice.ONION").hasDisallowedTLD)
        #expect(try Handle(Handle.invalidHandle).hasDisallowedTLD)
        #expect(try !Handle("alice.test").hasDisallowedTLD)
        #expect(try !Handle("alice.bsky.social").hasDisallowedTLD)
    }

    @Test func errorSaysWhatIsWrong() {
        do {
            _ = try Handle("alice..test")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == "handle")
            #expect(error.message.contains("empty"))
            #expect(error.description.hasPrefix("invalid handle:"))
        }
        do {
            _ = try Handle("alice.test!")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("letters, digits, hyphens and periods"))
        }
    }

    @Test func codableAsString() throws {
        let handle = try Handle("alice.test")
        let data = try JSONEncoder().encode([handle])
        #expect(String(decoding: data, as: UTF8.self) == #"["alice.test"]"#)
        #expect(try JSONDecoder().decode([Handle].self, from: data) == [handle])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Handle].self, from: Data(#"["nope"]"#.utf8)) }
    }
}
