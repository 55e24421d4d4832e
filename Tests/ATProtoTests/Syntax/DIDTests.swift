import Foundation
import Testing

@testable import ATProto

@Suite struct DIDTests {
    @Test func parts() throws {
        let plc = try DID("did:plc:7iza6de2dwap2sbkpav7c6c6")
        #expect(plc.method == "plc")
        #expect(plc.identifier == "7iza6de2dwap2sbkpav7c6c6")
        let web = try DID("did:web:localhost%3A1234")
        #expect(web.method == "web")
        #expect(web.identifier == "localhost%3A1234")
        let colons = try DID("did:method::::val")
        #expect(colons.method == "method")
        #expect(colons.identifier == ":::val")
    }

    @Test func lengthLimit() {
        let prefix = "did:plc:"
        let max = prefix + String(repeating: "a", count: 2048 - prefix.utf8.count)
        #expect(DID.isValid(max))
        #expect(!DID.isValid(max + "a"))
    }

    @Test func rejections() {
        #expect(!DID.isValid(""))
        #expect(!DID.isValid("did:"))
        #expect(!DID.isValid("did:plc"))
        #expect(!DID.isValid("did:plc:"))
        #expect(!DID.isValid("did::abc"))
        #expect(!DID.isValid("did:Plc:abc"))
        #expect(!DID.isValid("did:pl1c:abc"))
        #expect(!DID.isValid("did:plc:abc:"))
        #expect(!DID.isValid("did:plc:abc%"))
        #expect(!DID.isValid("did:plc:a b"))
        #expect(!DID.isValid("did:plc:ab/c"))
        #expect(!DID.isValid("did:plc:abcé"))
        #expect(!DID.isValid("Did:plc:abc"))
    }

    @Test func errorKind() {
        #expect(throws: SyntaxError(kind: "did", message: "DID must start with \"did:\"")) { try DID("plc:abc") }
    }

    @Test func codable() throws {
        let did = try DID("did:web:example.com")
        let data = try JSONEncoder().encode(did)
        #expect(try JSONDecoder().decode(DID.self, from: data) == did)
    }
}
