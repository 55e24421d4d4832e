/// The elliptic curves atproto supports for signing keys.
public enum Curve: String, Sendable, CaseIterable {
    /// secp256k1 ("K-256"), JWT algorithm `ES256K`.
    case k256
    /// NIST P-256 / secp256r1, JWT algorithm `ES256`.
    case p256

    /// The JWT `alg` name for signatures made with a key on this curve.
    public var jwtAlgorithm: String {
        switch self {
        case .k256: "ES256K"
        case .p256: "ES256"
        }
    }

    /// The multicodec code of a compressed public key on this curve (`secp256k1-pub`, `p256-pub`).
    public var multicodec: UInt64 {
        switch self {
        case .k256: 0xe7
        case .p256: 0x1200
        }
    }

    /// The curve for a JWT `alg` name (`ES256K` or `ES256`), or nil.
    public init?(jwtAlgorithm: String) {
        switch jwtAlgorithm {
        case "ES256K": self = .k256
        case "ES256": self = .p256
        default: return nil
        }
    }

    /// The curve for a public-key multicodec code, or nil.
    public init?(multicodec: UInt64) {
        switch multicodec {
        case 0xe7: self = .k256
        case 0x1200: self = .p256
        default: return nil
        }
    }
}
