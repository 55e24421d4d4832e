import Foundation
import Testing

@testable import ATProto

@Suite("Data model interop vectors")
struct DataModelFixtureTests {
    struct Fixture: Decodable {
        let cbor_base64: String
        let cid: String
    }

    /// Raw JSON text of each fixture's `json` member, re-serialized by Foundation (key order irrelevant).
    static func jsonTexts(_ file: String) throws -> [Data] {
        let array = try #require(Interop.json(file) as? [[String: Any]])
        return try array.map { try JSONSerialization.data(withJSONObject: $0["json"] as Any, options: [.fragmentsAllowed]) }
    }

    @Test func fixturesEncodeToExactBytesAndCID() throws {
        let fixtures = try Interop.decode([Fixture].self, from: "data-model/data-model-fixtures.json")
        let jsons = try Self.jsonTexts("data-model/data-model-fixtures.json")
        #expect(fixtures.count == 3)
        for (fixture, json) in zip(fixtures, jsons) {
            let value = try AtprotoJSON.parse(Array(json))
            let expected = try #require(Multibase.base64Decode(fixture.cbor_base64))
            let encoded = DAGCBOR.encode(value)
            #expect(encoded == expected, "encoding differs for \(fixture.cid)")
            #expect(CID.dagCBOR(hashing: encoded).string == fixture.cid)
            #expect(value.cid.string == fixture.cid)
            // Decoding the fixture's CBOR gives the same value, and JSON output parses back to it.
            let decoded = try DAGCBOR.decode(expected)
            #expect(decoded == value)
            #expect(try AtprotoJSON.parse(AtprotoJSON.serialize(decoded)) == value)
        }
    }

    @Test func validDataModelDocumentsAreAccepted() throws {
        let jsons = try Self.jsonTexts("data-model/data-model-valid.json")
        #expect(jsons.count == 5)
        for json in jsons {
            let object = try AtprotoJSON.parseObject(Array(json))
            let value = DataValue.map(object)
            #expect(try DAGCBOR.decode(DAGCBOR.encode(value)) == value)
        }
    }

    @Test func invalidDataModelDocumentsAreRejected() throws {
        let array = try #require(Interop.json("data-model/data-model-invalid.json") as? [[String: Any]])
        let jsons = try Self.jsonTexts("data-model/data-model-invalid.json")
        #expect(jsons.count == 12)
        for (entry, json) in zip(array, jsons) {
            #expect(throws: AtprotoJSONError.self, "\(entry["note"] ?? "")") {
                _ = try AtprotoJSON.parseObject(Array(json))
            }
        }
    }

    @Test func integralFloatReadsAsInteger() throws {
        #expect(try AtprotoJSON.parse("123.0") == .int(123))
        #expect(try AtprotoJSON.parse("-5.000") == .int(-5))
        #expect(try AtprotoJSON.parse("1e3") == .int(1000))
        #expect(throws: AtprotoJSONError.self) { try AtprotoJSON.parse("1.5") }
        #expect(throws: AtprotoJSONError.self) { try AtprotoJSON.parse("1e-3") }
    }
}
