import ATProto
import Foundation
import Testing

@Suite struct DIDKeyTests {
    struct K256Vector: Decodable {
        let privateKeyBytesHex: String
        let publicDidKey: String
    }

    struct P256Vector: Decodable {
        let privateKeyBytesBase58: String
        let publicDidKey: String
    }

    @Test func w3cK256Vectors() throws {
        let vectors = try Interop.decode([K256Vector].self, from: "crypto/w3c_didkey_K256.json")
        #expect(vectors.count == 5)
        for vector in vectors {
            let key = try K256PrivateKey(hex: vector.privateKeyBytesHex)
            #expect(key.publicKey.didKey == vector.publicDidKey)
            #expect(key.hex == vector.privateKeyBytesHex)
            let parsed = try PublicKey(didKey: vector.publicDidKey)
            #expect(parsed == key.publicKey)
            #expect(parsed.curve == .k256)
            #expect(parsed.compressed.count == 33)
        }
    }

    @Test func w3cP256Vectors() throws {
        let vectors = try Interop.decode([P256Vector].self, from: "crypto/w3c_didkey_P256.json")
        #expect(vectors.count == 1)
        for vector in vectors {
            let raw = try Multibase.base58Decode(vector.privateKeyBytesBase58)
            let key = try P256PrivateKey(rawRepresentation: raw)
            #expect(key.publicKey.didKey == vector.publicDidKey)
            #expect(key.rawRepresentation == raw)
            let parsed = try PublicKey(didKey: vector.publicDidKey)
            #expect(parsed == key.publicKey)
            #expect(parsed.curve == .p256)
        }
    }

    @Test func didKeyPrefixesByCurve() throws {
        // Multicodec prefixes give the well-known leading characters: zQ3s for k256, zDn for p256.
        for _ in 0..<20 {
            #expect(K256PrivateKey().publicKey.didKey.hasPrefix("did:key:zQ3s"))
            #expect(P256PrivateKey().publicKey.didKey.hasPrefix("did:key:zDna"))
        }
    }

    @Test(arguments: Curve.allCases) func roundTrips(curve: Curve) throws {
        for _ in 0..<50 {
            let key = Self.randomKey(curve).publicKey
            #expect(try PublicKey(didKey: key.didKey) == key)
            #expect(try PublicKey(multikey: key.multikey) == key)
            #expect(key.didKey == "did:key:" + key.multikey)
            #expect(try PublicKey(compressed: key.compressed, curve: curve) == key)
            // Uncompressed input is accepted and normalised to compressed.
            let uncompressed = key.uncompressed
            #expect(uncompressed.count == 65 && uncompressed[0] == 0x04)
            let normalised = try PublicKey(compressed: uncompressed, curve: curve)
            #expect(normalised == key)
            #expect(normalised.compressed == key.compressed)
            #expect(Array(uncompressed[1...32]) == Array(key.compressed[1...]))
        }
    }

    @Test(arguments: [
        // not did:key
        "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
        "did:key:",
        "did:key:z",
        "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",  // multikey without the did:key prefix
        "did:key:Q3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",  // no multibase prefix
        "did:key:bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",  // base32 multibase
        "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYB0e",  // '0' is not base58
        "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBm",  // truncated key bytes
        "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBmee",  // extra key bytes
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",  // ed25519 (0xed), unsupported
        " did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
    ])
    func invalidDIDKeys(string: String) {
        #expect(throws: CryptoError.self) { try PublicKey(didKey: string) }
    }

    @Test func unsupportedMulticodecIsReported() throws {
        var bytes = Varint.encode(0xed)  // ed25519-pub
        bytes += [UInt8](repeating: 7, count: 32)
        let error = #expect(throws: CryptoError.self) { try PublicKey(multikey: "z" + Multibase.base58Encode(bytes)) }
        #expect(error?.code == .unsupportedKeyType)
    }

    @Test func truncatedMulticodecVarintIsReported() throws {
        let error = #expect(throws: CryptoError.self) { try PublicKey(multikey: "z" + Multibase.base58Encode([0x80])) }
        #expect(error?.code == .invalidKeyEncoding)
    }

    @Test func invalidPublicKeyBytes() {
        let cases: [([UInt8], Curve)] = [
            ([], .k256),
            ([0x02] + [UInt8](repeating: 1, count: 31), .k256),  // 32 bytes
            ([0x02] + [UInt8](repeating: 1, count: 33), .p256),  // 34 bytes
            ([0x04] + [UInt8](repeating: 1, count: 32), .k256),  // 04 prefix with 33 bytes
            ([0x05] + [UInt8](repeating: 1, count: 32), .k256),  // bad prefix
            ([0x06] + [UInt8](repeating: 1, count: 64), .k256),  // hybrid encoding
            ([0x02] + [UInt8](repeating: 0, count: 32), .k256),  // x = 0: no k256 point
            ([0x02] + [UInt8](repeating: 0, count: 31) + [1], .p256),  // x = 1: no p256 point
            ([0x03] + [UInt8](repeating: 0, count: 31) + [7], .k256),  // x = 7: no point on either curve
            ([0x03] + [UInt8](repeating: 0, count: 31) + [7], .p256),
            ([0x02] + [UInt8](repeating: 0xff, count: 32), .k256),  // x >= p
            ([0x02] + [UInt8](repeating: 0xff, count: 32), .p256),
            ([0x04] + [UInt8](repeating: 1, count: 64), .k256),  // uncompressed, not on curve
            ([0x04] + [UInt8](repeating: 1, count: 64), .p256),
        ]
        for (bytes, curve) in cases {
            let error = #expect(throws: CryptoError.self, "\(bytes.count) bytes \(curve)") {
                try PublicKey(compressed: bytes, curve: curve)
            }
            #expect(error?.code == .invalidPublicKey)
        }
    }

    static func randomKey(_ curve: Curve) -> any SigningKey {
        switch curve {
        case .k256: K256PrivateKey()
        case .p256: P256PrivateKey()
        }
    }
}
