import ATProto
import Testing

@Suite struct PrivateKeyTests {
    static let k256Order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
    static let k256OrderMinusOne = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"
    static let p256Order = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
    static let p256OrderMinusOne = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550"

    static let invalidHex: [String] = [
        "",
        "00",
        String(repeating: "0", count: 64),  // zero scalar
        String(repeating: "f", count: 64),  // >= n on both curves
        String(repeating: "ab", count: 31),  // 31 bytes
        String(repeating: "ab", count: 33),  // 33 bytes
        String(repeating: "a", count: 63),  // odd length
        String(repeating: "g", count: 64),  // not hex
        " " + String(repeating: "1", count: 63),
    ]

    @Test func k256InvalidScalarsAreRejected() {
        for hex in Self.invalidHex + [Self.k256Order] {
            let error = #expect(throws: CryptoError.self, "\(hex)") { try K256PrivateKey(hex: hex) }
            #expect(error?.code == .invalidPrivateKey)
        }
        #expect(throws: CryptoError.self) { try K256PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 31)) }
    }

    @Test func p256InvalidScalarsAreRejected() {
        for hex in Self.invalidHex + [Self.p256Order] {
            let error = #expect(throws: CryptoError.self, "\(hex)") { try P256PrivateKey(hex: hex) }
            #expect(error?.code == .invalidPrivateKey)
        }
        #expect(throws: CryptoError.self) { try P256PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 33)) }
    }

    @Test func boundaryScalarsAreAccepted() throws {
        let one = String(repeating: "0", count: 63) + "1"
        for hex in [one, Self.k256OrderMinusOne] {
            let key = try K256PrivateKey(hex: hex)
            #expect(key.hex == hex)
            let message = Array("edge".utf8)
            #expect(key.publicKey.verify(signature: try key.sign(message), message: message))
        }
        for hex in [one, Self.p256OrderMinusOne] {
            let key = try P256PrivateKey(hex: hex)
            #expect(key.hex == hex)
            let message = Array("edge".utf8)
            #expect(key.publicKey.verify(signature: try key.sign(message), message: message))
        }
        // k256 order n is above the p256 order, so p256's n - 1 is a valid k256 scalar, and not vice versa.
        _ = try K256PrivateKey(hex: Self.p256OrderMinusOne)
        #expect(throws: CryptoError.self) { try P256PrivateKey(hex: Self.k256OrderMinusOne) }
    }

    @Test func upperCaseHexIsAccepted() throws {
        let hex = "9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c"
        #expect(try K256PrivateKey(hex: hex.uppercased()) == K256PrivateKey(hex: hex))
        #expect(try P256PrivateKey(hex: hex.uppercased()) == P256PrivateKey(hex: hex))
    }

    @Test func exportImportRoundTrip() throws {
        for _ in 0..<20 {
            let k256 = K256PrivateKey()
            #expect(k256.rawRepresentation.count == 32)
            #expect(try K256PrivateKey(rawRepresentation: k256.rawRepresentation) == k256)
            #expect(try K256PrivateKey(hex: k256.hex).publicKey == k256.publicKey)

            let p256 = P256PrivateKey()
            #expect(p256.rawRepresentation.count == 32)
            #expect(try P256PrivateKey(rawRepresentation: p256.rawRepresentation) == p256)
            #expect(try P256PrivateKey(hex: p256.hex).publicKey == p256.publicKey)
        }
    }

    @Test func randomKeysDiffer() {
        #expect(K256PrivateKey().rawRepresentation != K256PrivateKey().rawRepresentation)
        #expect(P256PrivateKey().rawRepresentation != P256PrivateKey().rawRepresentation)
    }

    @Test func descriptionNeverContainsTheSecret() {
        let k256 = K256PrivateKey()
        #expect(!"\(k256)".contains(k256.hex))
        #expect(!String(reflecting: k256).contains(k256.hex))
        let p256 = P256PrivateKey()
        #expect(!"\(p256)".contains(p256.hex))
        #expect(!String(reflecting: p256).contains(p256.hex))
    }

    @Test func sha256KnownAnswer() {
        #expect(
            CryptoFixtures.hex(SHA256Hash.digest(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            CryptoFixtures.hex(SHA256Hash.digest([UInt8]()))
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Hash.digest(Array("abc".utf8)[...]) == SHA256Hash.digest(Array("abc".utf8)))
    }
}
