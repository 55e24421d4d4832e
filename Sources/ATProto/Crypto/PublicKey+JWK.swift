/// JSON Web Key form (RFC 7517/7518) of EC public keys: `kty` "EC", `crv` "P-256" or "secp256k1",
/// `x` and `y` as unpadded base64url of the 32-byte coordinates. Used for ES256/ES256K JWTs and DPoP.
extension PublicKey {
    /// The JWK `crv` name of a curve.
    public static func jwkCurveName(_ curve: Curve) -> String {
        switch curve {
        case .k256: "secp256k1"
        case .p256: "P-256"
        }
    }

    /// The public JWK members `kty`, `crv`, `x`, `y`.
    public var jwk: [String: String] {
        let point = uncompressed
        return [
            "kty": "EC",
            "crv": Self.jwkCurveName(curve),
            "x": Multibase.base64Encode(point[1...32], padded: false, urlSafe: true),
            "y": Multibase.base64Encode(point[33...64], padded: false, urlSafe: true),
        ]
    }

    /// The RFC 7638 JWK thumbprint: unpadded base64url of SHA-256 over the canonical JSON
    /// `{"crv":...,"kty":"EC","x":...,"y":...}`.
    public var jwkThumbprint: String {
        let jwk = self.jwk
        let canonical = #"{"crv":""# + (jwk["crv"] ?? "") + #"","kty":"EC","x":""# + (jwk["x"] ?? "")
            + #"","y":""# + (jwk["y"] ?? "") + #""}"#
        return Multibase.base64Encode(SHA256Hash.digest(Array(canonical.utf8)), padded: false, urlSafe: true)
    }

    /// Reads an EC public JWK (`kty` "EC", `crv` "P-256" or "secp256k1", 32-byte `x` and `y`). Other
    /// members (`kid`, `alg`, `use`) are ignored; a JWK with a private `d` member is refused.
    public init(jwk: [String: String]) throws(CryptoError) {
        guard jwk["kty"] == "EC" else {
            throw CryptoError(.unsupportedKeyType, "JWK kty must be \"EC\", got \(jwk["kty"].map { "\"\($0)\"" } ?? "nothing")")
        }
        let curve: Curve
        switch jwk["crv"] {
        case "P-256": curve = .p256
        case "secp256k1": curve = .k256
        default: throw CryptoError(.unsupportedKeyType, "JWK crv must be \"P-256\" or \"secp256k1\"")
        }
        guard jwk["d"] == nil else {
            throw CryptoError(.invalidKeyEncoding, "JWK holds a private key (d); only public keys are accepted")
        }
        guard let xString = jwk["x"], let yString = jwk["y"],
            !xString.contains("="), !yString.contains("="), !xString.contains("+"), !yString.contains("+"),
            !xString.contains("/"), !yString.contains("/"),
            let x = Multibase.base64Decode(xString), let y = Multibase.base64Decode(yString),
            x.count == 32, y.count == 32
        else {
            throw CryptoError(.invalidKeyEncoding, "JWK x and y must be unpadded base64url of 32 bytes each")
        }
        try self.init(compressed: [0x04] + x + y, curve: curve)
    }
}
