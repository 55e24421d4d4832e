import CSecp256k1

/// A secp256k1 (K-256) private key, signing through libsecp256k1: RFC 6979 deterministic nonces,
/// 64-byte compact low-S signatures over SHA-256 of the message.
public struct K256PrivateKey: SigningKey, Hashable {
    /// The 32-byte big-endian secret scalar.
    public let rawRepresentation: [UInt8]
    public let publicKey: PublicKey

    /// A new random key.
    public init() {
        var rng = SystemRandomNumberGenerator()
        while true {
            var candidate = [UInt8](repeating: 0, count: 32)
            for i in candidate.indices { candidate[i] = rng.next() }
            // Fails only for zero or >= n (probability about 2^-128).
            if let key = try? K256PrivateKey(rawRepresentation: candidate) { self = key; return }
        }
    }

    /// Imports a 32-byte secret scalar; rejects zero and values not below the curve order.
    public init(rawRepresentation bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 32 else {
            throw CryptoError(.invalidPrivateKey, "k256 private key must be 32 bytes, got \(bytes.count)")
        }
        let context = Secp256k1Context.shared.pointer
        guard secp256k1_ec_seckey_verify(context, bytes) == 1 else {
            throw CryptoError(.invalidPrivateKey, "k256 private key is zero or not below the curve order")
        }
        var pubkey = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_create(context, &pubkey, bytes) == 1 else {
            throw CryptoError(.invalidPrivateKey, "k256 public key derivation failed")
        }
        rawRepresentation = bytes
        publicKey = PublicKey(k256: pubkey)
    }

    /// Imports a secret scalar written as 64 hex digits.
    public init(hex: String) throws(CryptoError) {
        guard let bytes = CryptoEncoding.bytes(hex: hex) else {
            throw CryptoError(.invalidPrivateKey, "k256 private key hex is not valid hex")
        }
        try self.init(rawRepresentation: bytes)
    }

    /// The secret scalar as 64 lower-case hex digits.
    public var hex: String { CryptoEncoding.hex(rawRepresentation) }

    public func sign(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        try signDigest(SHA256Hash.digest(message))
    }

    /// Signs a 32-byte digest directly (the caller has hashed the message).
    public func signDigest(_ digest: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard digest.count == 32 else {
            throw CryptoError(.signingFailed, "k256 digest must be 32 bytes, got \(digest.count)")
        }
        let context = Secp256k1Context.shared.pointer
        var signature = secp256k1_ecdsa_signature()
        // A nil nonce function selects RFC 6979; libsecp256k1 always produces low-S signatures.
        guard secp256k1_ecdsa_sign(context, &signature, digest, rawRepresentation, nil, nil) == 1 else {
            throw CryptoError(.signingFailed, "secp256k1_ecdsa_sign failed")
        }
        var compact = [UInt8](repeating: 0, count: 64)
        _ = secp256k1_ecdsa_signature_serialize_compact(context, &compact, &signature)
        return compact
    }
}

extension K256PrivateKey: CustomStringConvertible {
    /// Never prints the secret.
    public var description: String { "K256PrivateKey(\(publicKey.didKey))" }
}
