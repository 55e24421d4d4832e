import Testing

@testable import ATProto

@Suite("CID, varint, multibase")
struct CIDTests {
    @Test func stringRoundTrip() throws {
        let s = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a"
        let cid = try CID(string: s)
        #expect(cid.string == s)
        #expect(cid.codec == CID.dagCBORCodec)
        #expect(cid.isBlessed)
        #expect(cid.digest.count == 32)
        #expect(try CID(bytes: cid.bytes) == cid)
        let raw = try CID(string: "bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity")
        #expect(raw.codec == CID.rawCodec)
    }

    @Test func hashesKnownValue() {
        // sha256("") as a raw CID.
        #expect(CID.raw(hashing: []).string == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
    }

    @Test func rejectsBadInput() {
        #expect(throws: CID.Error.self) { try CID(string: "") }
        #expect(throws: CID.Error.self) { try CID(string: "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG") }
        #expect(throws: CID.Error.self) { try CID(string: ".") }
        #expect(throws: CID.Error.self) { try CID(string: "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2") }  // truncated
        #expect(throws: CID.Error.self) { try CID(string: "Bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a") }
        #expect(throws: CID.Error.self) { try CID(bytes: [0x01, 0x71, 0x12, 0x20] + [UInt8](repeating: 0, count: 31)) }
        #expect(throws: CID.Error.self) { try CID(bytes: [0x01, 0x71, 0x12, 0x20] + [UInt8](repeating: 0, count: 33)) }
        #expect(throws: CID.Error.self) { try CID(bytes: [0x02, 0x71, 0x12, 0x20] + [UInt8](repeating: 0, count: 32)) }
        #expect(throws: CID.Error.self) { try CID(bytes: [0x12, 0x20] + [UInt8](repeating: 0, count: 32)) }
    }

    @Test func keepsNonBlessedCIDs() throws {
        // dag-pb codec, sha2-256: parses and round-trips although atproto would not write it.
        let bytes: [UInt8] = [0x01, 0x70, 0x12, 0x20] + [UInt8](repeating: 7, count: 32)
        let cid = try CID(bytes: bytes)
        #expect(!cid.isBlessed)
        #expect(try CID(string: cid.string).bytes == bytes)
    }

    @Test func varints() throws {
        for value: UInt64 in [0, 1, 127, 128, 255, 300, 16384, UInt64(Int64.max)] {
            let bytes = Varint.encode(value)
            #expect(bytes.count == Varint.encodedLength(value))
            let (decoded, length) = try Varint.decode(bytes, at: 0)
            #expect(decoded == value && length == bytes.count)
        }
        #expect(throws: Varint.Error.notMinimal) { try Varint.decode([0x80, 0x00], at: 0) }
        #expect(throws: Varint.Error.truncated) { try Varint.decode([0x80], at: 0) }
        #expect(throws: Varint.Error.tooLarge) { try Varint.decode([UInt8](repeating: 0xff, count: 9) + [0x01], at: 0) }
    }

    @Test func base32AndBase58() throws {
        #expect(Multibase.base32Encode(Array("foobar".utf8)) == "mzxw6ytboi")
        #expect(try Multibase.base32Decode("mzxw6ytboi") == Array("foobar".utf8))
        #expect(throws: Multibase.Error.self) { try Multibase.base32Decode("mzxw6ytboj") }  // non-zero padding bits
        #expect(throws: Multibase.Error.self) { try Multibase.base32Decode("a") }  // spare character
        #expect(Multibase.base58Encode([0, 0, 1]) == "112")
        #expect(try Multibase.base58Decode("112") == [0, 0, 1])
        #expect(throws: Multibase.Error.self) { try Multibase.base58Decode("0OIl") }
        var rng = SeededGenerator(seed: 42)
        for n in 0..<64 {
            let bytes = rng.bytes(n)
            #expect(try Multibase.base32Decode(Multibase.base32Encode(bytes)) == bytes)
            #expect(try Multibase.base58Decode(Multibase.base58Encode(bytes)) == bytes)
            #expect(Multibase.base64Decode(Multibase.base64Encode(bytes, padded: false)) == bytes)
        }
    }
}
