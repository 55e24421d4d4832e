import ATProto
import Testing

@Suite struct JWKTests {
    // Coordinates and RFC 7638 thumbprints computed independently with Python `cryptography` 48 and
    // hashlib for the private keys of the w3c did:key vectors.
    static let p256Secret = "9p4VRzdmhsnq869vQjVCTrRry7u4TtfRxhvBFJTGU2Cp"
    static let p256JWK = [
        "kty": "EC", "crv": "P-256",
        "x": "MOTYYEGIj8zoe8SaB_NeJWEkJaJUWq-gi2ScmBz6gQQ",
        "y": "KHmhj7feit98rItsUiXrvM0BgEbSx4OpGsiknDzW7Zo",
    ]
    static let p256Thumbprint = "AiLHA1Ni9p-3w39-GgW0hQ3k7r0Qxn_BotolmFxAbes"
    static let k256Secret = "9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c"
    static let k256JWK = [
        "kty": "EC", "crv": "secp256k1",
        "x": "h0wVx_2iDlOcblulc8E5iEw1EYh5n1RYtLQfeSTyNc0",
        "y": "O2EATIGbu6DezKFptj5scAIRntgfecanVNXxat1rnwE",
    ]
    static let k256Thumbprint = "NseNm0QLyTQuQzH39RBOviblhyALHrxp3SgnyKuDoEE"

    @Test func knownKeysExportTheirJWK() throws {
        let p256 = try P256PrivateKey(rawRepresentation: Multibase.base58Decode(Self.p256Secret)).publicKey
        #expect(p256.jwk == Self.p256JWK)
        #expect(p256.jwkThumbprint == Self.p256Thumbprint)
        let k256 = try K256PrivateKey(hex: Self.k256Secret).publicKey
        #expect(k256.jwk == Self.k256JWK)
        #expect(k256.jwkThumbprint == Self.k256Thumbprint)
    }

    @Test func knownJWKsImport() throws {
        let p256 = try PublicKey(jwk: Self.p256JWK.merging(["kid": "key-1", "alg": "ES256", "use": "sig"]) { a, _ in a })
        #expect(p256 == (try P256PrivateKey(rawRepresentation: Multibase.base58Decode(Self.p256Secret)).publicKey))
        let k256 = try PublicKey(jwk: Self.k256JWK)
        #expect(k256 == (try K256PrivateKey(hex: Self.k256Secret).publicKey))
    }

    @Test(arguments: Curve.allCases) func roundTrip(curve: Curve) throws {
        for _ in 0..<20 {
            let key = curve == .k256 ? K256PrivateKey().publicKey : P256PrivateKey().publicKey
            #expect(try PublicKey(jwk: key.jwk) == key)
        }
    }

    @Test func invalidJWKsAreRefused() {
        func with(_ changes: [String: String?]) -> [String: String] {
            var jwk = Self.p256JWK
            for (k, v) in changes { jwk[k] = v }
            return jwk
        }
        let cases: [[String: String]] = [
            with(["kty": "RSA"]),
            with(["kty": nil]),
            with(["crv": "P-384"]),
            with(["crv": "Ed25519"]),
            with(["x": nil]),
            with(["y": ""]),
            with(["x": Self.p256JWK["x"]! + "="]),
            with(["x": "AAAA"]),  // 3 bytes
            with(["y": Self.p256JWK["x"]!]),  // not on the curve
            with(["d": "AAAA"]),  // private key
            with(["crv": "secp256k1"]),  // P-256 point on the wrong curve
        ]
        for jwk in cases {
            #expect(throws: CryptoError.self, "\(jwk)") { try PublicKey(jwk: jwk) }
        }
    }
}
