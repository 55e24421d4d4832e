import ATProto
import Foundation
import Testing

/// crypto/signature-fixtures.json: valid low-S signatures verify; high-S and DER-encoded ones do not.
@Suite struct SignatureFixtureTests {
    struct Fixture: Decodable {
        let comment: String
        let messageBase64: String
        let algorithm: String
        let didDocSuite: String
        let publicKeyDid: String
        let publicKeyMultibase: String
        let signatureBase64: String
        let validSignature: Bool
        let tags: [String]
    }

    static func fixtures() throws -> [Fixture] {
        try Interop.decode([Fixture].self, from: "crypto/signature-fixtures.json")
    }

    @Test func allSixFixturesArePresent() throws {
        let fixtures = try Self.fixtures()
        #expect(fixtures.count == 6)
        #expect(fixtures.filter(\.validSignature).count == 2)
        #expect(Set(fixtures.flatMap(\.tags)) == ["high-s", "der-encoded"])
    }

    @Test(arguments: 0..<6) func fixture(index: Int) throws {
        let fixtures = try Self.fixtures()
        let fixture = try #require(fixtures.count > index ? fixtures[index] : nil)
        let message = try #require(Multibase.base64Decode(fixture.messageBase64))
        let signature = try #require(Multibase.base64Decode(fixture.signatureBase64))
        let key = try PublicKey(didKey: fixture.publicKeyDid)

        #expect(key.curve == Curve(jwtAlgorithm: fixture.algorithm), "\(fixture.comment)")
        #expect(key.didKey == fixture.publicKeyDid)
        // The fixture's publicKeyMultibase is the legacy form: bare compressed key, no multicodec.
        let legacy = try PublicKey(legacyMultibase: fixture.publicKeyMultibase, curve: key.curve)
        #expect(legacy == key)
        #expect(key.verify(signature: signature, message: message) == fixture.validSignature, "\(fixture.comment)")
    }
}
