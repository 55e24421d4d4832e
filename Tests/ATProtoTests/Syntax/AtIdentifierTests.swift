import Foundation
import Testing

@testable import ATProto

@Suite struct AtIdentifierTests {
    @Test func dispatchOnPrefix() throws {
        #expect(try AtIdentifier("did:plc:abc") == .did(DID("did:plc:abc")))
        #expect(try AtIdentifier("alice.test") == .handle(Handle("alice.test")))
        // A "did:" prefix is always parsed as a DID, never as a handle.
        #expect(throws: SyntaxError.self) { try AtIdentifier("did:thing.test") }
        #expect(!AtIdentifier.isValid("@alice.test"))
    }

    @Test func errorKind() {
        do {
            _ = try AtIdentifier("alice")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == "at-identifier")
        }
    }

    @Test func codable() throws {
        let values = [try AtIdentifier("did:plc:abc"), try AtIdentifier("alice.test")]
        let data = try JSONEncoder().encode(values)
        #expect(String(decoding: data, as: UTF8.self) == #"["did:plc:abc","alice.test"]"#)
        #expect(try JSONDecoder().decode([AtIdentifier].self, from: data) == values)
    }
}
