/// `did:key` and multikey forms: multibase base58btc (`z`) of the varint multicodec
/// (`secp256k1-pub` 0xe7, `p256-pub` 0x1200) followed by the 33-byte compressed key.
extension PublicKey {
    static let didKeyPrefix = "did:key:"

    /// The multikey string (`z...`), as used in DID documents' `publicKeyMultibase`.
    public var multikey: String {
        var bytes = Varint.encode(curve.multicodec)
        bytes.append(contentsOf: compressed)
        return "z" + Multibase.base58Encode(bytes)
    }

    /// The `did:key:z...` form, as used in PLC rotation keys and verification methods.
    public var didKey: String { Self.didKeyPrefix + multikey }

    /// Parses a multikey string (`z` + base58btc of multicodec + key bytes).
    public init(multikey: String) throws(CryptoError) {
        guard multikey.hasPrefix("z") else {
            throw CryptoError(.invalidKeyEncoding, "multikey must start with 'z' (base58btc), got \(Self.excerpt(multikey))")
        }
        let bytes: [UInt8]
        do {
            bytes = try Multibase.decode(multikey)
        } catch {
            throw CryptoError(.invalidKeyEncoding, "multikey is not valid base58btc: \(error)")
        }
        let codec: (value: UInt64, length: Int)
        do {
            codec = try Varint.decode(bytes, at: 0)
        } catch {
            throw CryptoError(.invalidKeyEncoding, "multikey has no valid multicodec prefix: \(error)")
        }
        guard let curve = Curve(multicodec: codec.value) else {
            throw CryptoError(
                .unsupportedKeyType,
                "multicodec 0x\(String(codec.value, radix: 16)) is not a supported key type (secp256k1-pub 0xe7, p256-pub 0x1200)"
            )
        }
        try self.init(compressed: Array(bytes[codec.length...]), curve: curve)
    }

    /// Parses a `did:key:z...` string.
    public init(didKey: String) throws(CryptoError) {
        guard didKey.hasPrefix(Self.didKeyPrefix) else {
            throw CryptoError(.invalidKeyEncoding, "did:key must start with 'did:key:', got \(Self.excerpt(didKey))")
        }
        try self.init(multikey: String(didKey.dropFirst(Self.didKeyPrefix.count)))
    }

    /// Parses the legacy DID-document form (`EcdsaSecp256k1VerificationKey2019` /
    /// `EcdsaSecp256r1VerificationKey2019`): base58btc of the bare SEC1 key, without a multicodec prefix.
    public init(legacyMultibase: String, curve: Curve) throws(CryptoError) {
        guard legacyMultibase.hasPrefix("z") else {
            throw CryptoError(.invalidKeyEncoding, "publicKeyMultibase must start with 'z' (base58btc)")
        }
        let bytes: [UInt8]
        do {
            bytes = try Multibase.decode(legacyMultibase)
        } catch {
            throw CryptoError(.invalidKeyEncoding, "publicKeyMultibase is not valid base58btc: \(error)")
        }
        try self.init(compressed: bytes, curve: curve)
    }

    private static func excerpt(_ s: String) -> String {
        s.count > 64 ? "\"\(s.prefix(64))...\"" : "\"\(s)\""
    }
}
