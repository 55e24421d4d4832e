import CSecp256k1
import Crypto

/// A k256 or p256 public key. Always held in 33-byte compressed SEC1 form; equality and hashing use
/// the curve and those bytes. The parsed library form is kept alongside so verification does not
/// decompress the point again.
public struct PublicKey: Sendable {
    public let curve: Curve
    /// The 33-byte compressed SEC1 encoding (`02`/`03` prefix and the x coordinate).
    public let compressed: [UInt8]
    let backing: Backing

    enum Backing: Sendable {
        case k256(secp256k1_pubkey)
        case p256(P256.Signing.PublicKey)
    }

    /// Imports a SEC1 public key: 33-byte compressed, or 65-byte uncompressed (`04` prefix) which is
    /// normalised to compressed. Rejects points that are not on the curve.
    public init(compressed bytes: [UInt8], curve: Curve) throws(CryptoError) {
        guard (bytes.count == 33 && (bytes[0] == 0x02 || bytes[0] == 0x03))
            || (bytes.count == 65 && bytes[0] == 0x04)
        else {
            throw CryptoError(
                .invalidPublicKey,
                "\(curve.rawValue) public key must be 33 bytes (02/03 prefix) or 65 bytes (04 prefix), got \(bytes.count) bytes"
            )
        }
        switch curve {
        case .k256:
            var pubkey = secp256k1_pubkey()
            guard secp256k1_ec_pubkey_parse(Secp256k1Context.shared.pointer, &pubkey, bytes, bytes.count) == 1 else {
                throw CryptoError(.invalidPublicKey, "k256 public key is not a point on the curve")
            }
            self.init(k256: pubkey)
        case .p256:
            let key: P256.Signing.PublicKey
            do {
                key =
                    bytes.count == 33
                    ? try P256.Signing.PublicKey(compressedRepresentation: bytes)
                    : try P256.Signing.PublicKey(x963Representation: bytes)
            } catch {
                throw CryptoError(.invalidPublicKey, "p256 public key is not a point on the curve")
            }
            self.init(p256: key)
        }
    }

    init(k256 pubkey: secp256k1_pubkey) {
        var key = pubkey
        var out = [UInt8](repeating: 0, count: 33)
        var length = 33
        _ = secp256k1_ec_pubkey_serialize(
            Secp256k1Context.shared.pointer, &out, &length, &key, UInt32(SECP256K1_EC_COMPRESSED))
        curve = .k256
        compressed = out
        backing = .k256(pubkey)
    }

    init(p256 key: P256.Signing.PublicKey) {
        curve = .p256
        compressed = Array(key.compressedRepresentation)
        backing = .p256(key)
    }

    /// The 65-byte uncompressed SEC1 encoding (`04 || x || y`).
    public var uncompressed: [UInt8] {
        switch backing {
        case .k256(var pubkey):
            var out = [UInt8](repeating: 0, count: 65)
            var length = 65
            _ = secp256k1_ec_pubkey_serialize(
                Secp256k1Context.shared.pointer, &out, &length, &pubkey, UInt32(SECP256K1_EC_UNCOMPRESSED))
            return out
        case .p256(let key):
            return Array(key.x963Representation)
        }
    }

    /// Checks a 64-byte compact `r || s` signature over SHA-256(`message`). Rejects high-S signatures
    /// (unless `allowHighS`: inter-service JWTs accept both forms, as the reference's `allowMalleableSig`),
    /// DER-encoded signatures, any other length, and `r` or `s` out of range.
    public func verify(signature: [UInt8], message: [UInt8], allowHighS: Bool = false) -> Bool {
        guard signature.count == 64 else { return false }
        switch backing {
        case .k256(var pubkey):
            let context = Secp256k1Context.shared.pointer
            var parsed = secp256k1_ecdsa_signature()
            guard secp256k1_ecdsa_signature_parse_compact(context, &parsed, signature) == 1 else { return false }
            // normalize returns 1 when it had to change the signature, i.e. when s was high.
            var normalized = secp256k1_ecdsa_signature()
            let wasHigh = secp256k1_ecdsa_signature_normalize(context, &normalized, &parsed) == 1
            guard !wasHigh || allowHighS else { return false }
            let digest = SHA256Hash.digest(message)
            // libsecp256k1 verifies low-S signatures only: check the normalised form.
            return secp256k1_ecdsa_verify(context, &normalized, digest, &pubkey) == 1
        case .p256(let key):
            guard allowHighS || P256Order.isLowS(signature),
                let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: P256Order.lowS(signature))
            else { return false }
            return key.isValidSignature(parsed, for: message)
        }
    }
}

extension PublicKey: Hashable {
    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
        lhs.curve == rhs.curve && lhs.compressed == rhs.compressed
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(curve)
        hasher.combine(compressed)
    }
}

extension PublicKey: CustomStringConvertible {
    public var description: String { didKey }
}
