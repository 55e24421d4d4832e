import Crypto

/// A NIST P-256 private key, signing through swift-crypto. Signatures are SHA-256 of the message, 64-byte
/// compact `r || s`, normalised to low-S (swift-crypto itself returns high-S about half the time).
public struct P256PrivateKey: SigningKey {
    let key: P256.Signing.PrivateKey
    public let publicKey: PublicKey

    /// A new random key.
    public init() {
        key = P256.Signing.PrivateKey()
        publicKey = PublicKey(p256: key.publicKey)
    }

    /// Imports a 32-byte secret scalar; rejects zero and values not below the curve order.
    public init(rawRepresentation bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 32 else {
            throw CryptoError(.invalidPrivateKey, "p256 private key must be 32 bytes, got \(bytes.count)")
        }
        let order = P256Order.order
        guard bytes.contains(where: { $0 != 0 }), CryptoEncoding.compare(bytes[...], order) < 0 else {
            throw CryptoError(.invalidPrivateKey, "p256 private key is zero or not below the curve order")
        }
        do {
            key = try P256.Signing.PrivateKey(rawRepresentation: bytes)
        } catch {
            throw CryptoError(.invalidPrivateKey, "p256 private key rejected: \(error)")
        }
        publicKey = PublicKey(p256: key.publicKey)
    }

    /// Imports a secret scalar written as 64 hex digits.
    public init(hex: String) throws(CryptoError) {
        guard let bytes = CryptoEncoding.bytes(hex: hex) else {
            throw CryptoError(.invalidPrivateKey, "p256 private key hex is not valid hex")
        }
        try self.init(rawRepresentation: bytes)
    }

    /// The 32-byte big-endian secret scalar.
    public var rawRepresentation: [UInt8] { Array(key.rawRepresentation) }

    /// The secret scalar as 64 lower-case hex digits.
    public var hex: String { CryptoEncoding.hex(rawRepresentation) }

    public func sign(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        let signature: P256.Signing.ECDSASignature
        do {
            signature = try key.signature(for: message)
        } catch {
            throw CryptoError(.signingFailed, "p256 signing failed: \(error)")
        }
        return P256Order.lowS(Array(signature.rawRepresentation))
    }
}

extension P256PrivateKey: Equatable {
    public static func == (lhs: P256PrivateKey, rhs: P256PrivateKey) -> Bool {
        lhs.rawRepresentation == rhs.rawRepresentation
    }
}

extension P256PrivateKey: CustomStringConvertible {
    /// Never prints the secret.
    public var description: String { "P256PrivateKey(\(publicKey.didKey))" }
}
