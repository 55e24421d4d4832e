import ATProto
import Foundation
import Testing

@Suite struct SigningTests {
    static let k256HalfOrder = bytes("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0")
    static let p256HalfOrder = bytes("7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8")
    static let k256Order = bytes("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
    static let p256Order = bytes("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")

    static func key(_ curve: Curve) -> any SigningKey {
        switch curve {
        case .k256: K256PrivateKey()
        case .p256: P256PrivateKey()
        }
    }

    static func halfOrder(_ curve: Curve) -> [UInt8] { curve == .k256 ? k256HalfOrder : p256HalfOrder }
    static func order(_ curve: Curve) -> [UInt8] { curve == .k256 ? k256Order : p256Order }

    @Test(arguments: Curve.allCases) func signVerifyRoundTrip(curve: Curve) throws {
        let key = Self.key(curve)
        #expect(key.curve == curve)
        for length in [0, 1, 32, 33, 1000] {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let signature = try key.sign(message)
            #expect(signature.count == 64)
            #expect(key.publicKey.verify(signature: signature, message: message))
        }
    }

    @Test(arguments: Curve.allCases) func twoHundredSignaturesAreAllLowS(curve: Curve) throws {
        let key = Self.key(curve)
        let half = Self.halfOrder(curve)
        for i in 0..<200 {
            let message = Array("message \(i)".utf8)
            let signature = try key.sign(message)
            let s = Array(signature[32...])
            #expect(s.lexicographicallyPrecedes(half) || s == half, "signature \(i) has high S")
            #expect(key.publicKey.verify(signature: signature, message: message))
        }
    }

    @Test(arguments: Curve.allCases) func highSFormIsRejected(curve: Curve) throws {
        // n - s is the malleated twin of a valid signature; atproto requires rejecting it.
        let key = Self.key(curve)
        let message = Array("malleable".utf8)
        let signature = try key.sign(message)
        let highS = Array(signature[..<32]) + Self.subtract(Self.order(curve), Array(signature[32...]))
        #expect(highS != signature)
        #expect(!key.publicKey.verify(signature: highS, message: message))
    }

    @Test(arguments: Curve.allCases) func highSFormIsAcceptedWhenAllowed(curve: Curve) throws {
        // Inter-service JWTs accept the malleated twin (the reference's allowMalleableSig), never a forgery.
        let key = Self.key(curve)
        let message = Array("malleable".utf8)
        let signature = try key.sign(message)
        let highS = Array(signature[..<32]) + Self.subtract(Self.order(curve), Array(signature[32...]))
        #expect(key.publicKey.verify(signature: highS, message: message, allowHighS: true))
        #expect(key.publicKey.verify(signature: signature, message: message, allowHighS: true))
        #expect(!key.publicKey.verify(signature: highS, message: Array("other".utf8), allowHighS: true))
        #expect(!Self.key(curve).publicKey.verify(signature: highS, message: message, allowHighS: true))
    }

    @Test(arguments: Curve.allCases) func tamperedMessageOrSignatureFails(curve: Curve) throws {
        let key = Self.key(curve)
        let message = Array("hello world".utf8)
        let signature = try key.sign(message)
        var tampered = message
        tampered[0] ^= 1
        #expect(!key.publicKey.verify(signature: signature, message: tampered))
        for index in [0, 31, 32, 63] {
            var badSignature = signature
            badSignature[index] ^= 0x01
            #expect(!key.publicKey.verify(signature: badSignature, message: message))
        }
    }

    @Test(arguments: Curve.allCases) func otherKeyFails(curve: Curve) throws {
        let key = Self.key(curve)
        let message = Array("hello".utf8)
        let signature = try key.sign(message)
        #expect(!Self.key(curve).publicKey.verify(signature: signature, message: message))
        let otherCurve: Curve = curve == .k256 ? .p256 : .k256
        #expect(!Self.key(otherCurve).publicKey.verify(signature: signature, message: message))
    }

    @Test func sameScalarOnTheOtherCurveFails() throws {
        // The same 32-byte secret on both curves gives unrelated keys; signatures never cross over.
        let secret = Self.bytes("9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c")
        let k256 = try K256PrivateKey(rawRepresentation: secret)
        let p256 = try P256PrivateKey(rawRepresentation: secret)
        let message = Array("cross".utf8)
        #expect(!p256.publicKey.verify(signature: try k256.sign(message), message: message))
        #expect(!k256.publicKey.verify(signature: try p256.sign(message), message: message))
    }

    @Test(arguments: Curve.allCases) func malformedSignaturesFail(curve: Curve) throws {
        let key = Self.key(curve)
        let message = Array("hello".utf8)
        let signature = try key.sign(message)
        let malformed: [[UInt8]] = [
            [],
            Array(signature.prefix(63)),
            signature + [0],
            [UInt8](repeating: 0, count: 64),  // r = s = 0
            [UInt8](repeating: 0xff, count: 64),  // r, s >= n
            Array(signature[..<32]) + [UInt8](repeating: 0, count: 32),  // s = 0
            Self.order(curve) + Array(signature[32...]),  // r = n
        ]
        for bad in malformed {
            #expect(!key.publicKey.verify(signature: bad, message: message))
        }
    }

    @Test func k256SigningIsDeterministic() throws {
        // RFC 6979: the same key and message always give the same signature.
        let key = try K256PrivateKey(hex: "9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c")
        let message = Array("deterministic".utf8)
        #expect(try key.sign(message) == key.sign(message))
        #expect(try key.sign(message) != key.sign(message + [0]))
    }

    @Test func k256SignatureMatchesAnIndependentImplementation() throws {
        // Expected value computed independently of libsecp256k1 with a from-scratch Python implementation
        // (affine point arithmetic, RFC 6979 HMAC-SHA256 nonce, s normalised to low-S).
        let key = try K256PrivateKey(hex: "9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c")
        let signature = try key.sign(Array("hello world".utf8))
        #expect(
            CryptoFixtures.hex(signature)
                == CryptoFixtures.k256HelloWorldSignature)
    }

    @Test func concurrentSigningAndVerifyingShareTheContextSafely() async throws {
        // The libsecp256k1 context is shared process-wide; sign and verify from many tasks at once.
        let key = K256PrivateKey()
        let p256 = P256PrivateKey()
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var good = 0
                    for i in 0..<50 {
                        let message = Array("task \(task) message \(i)".utf8)
                        let k = try key.sign(message)
                        let p = try p256.sign(message)
                        if key.publicKey.verify(signature: k, message: message)
                            && p256.publicKey.verify(signature: p, message: message)
                            && !key.publicKey.verify(signature: k, message: message + [0])
                        {
                            good += 1
                        }
                    }
                    return good
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(results == 400)
    }

    // MARK: helpers

    static func bytes(_ hex: String) -> [UInt8] { CryptoFixtures.bytes(hex) }

    static func subtract(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: a.count)
        var borrow = 0
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            var d = Int(a[i]) - Int(b[i]) - borrow
            borrow = d < 0 ? 1 : 0
            if d < 0 { d += 256 }
            out[i] = UInt8(d)
        }
        return out
    }
}
