import ATProto

/// A signed `plc_tombstone`: the operation that retires a did:plc (`{type, prev, sig}`), signed by a rotation
/// key of the operation it follows. createAccount sends one when the account could not be stored after the
/// directory had registered its DID, so no DID is left pointing at an account that does not exist.
public struct PLCTombstone: Sendable, Hashable {
    public static let type = "plc_tombstone"

    /// The CID string of the operation being retired.
    public let prev: String
    /// The signature as base64url without padding.
    public let sig: String

    public init(prev: String, sig: String) {
        self.prev = prev
        self.sig = sig
    }

    /// Signs a tombstone of the operation whose CID is `prev`.
    public static func signed(prev: String, with key: any SigningKey) throws(CryptoError) -> PLCTombstone {
        let signature = try key.sign(unsignedBytes(prev: prev))
        return PLCTombstone(prev: prev, sig: Base64URL.encode(signature))
    }

    static func unsignedBytes(prev: String) -> [UInt8] {
        DAGCBOR.encode(.map(["type": .string(type), "prev": .string(prev)]))
    }

    /// The JSON body to POST to the directory.
    public func jsonBytes() -> [UInt8] {
        AtprotoJSON.serialize(.map(["type": .string(Self.type), "prev": .string(prev), "sig": .string(sig)]))
    }

    /// Whether one of `rotationKeys` (did:key strings) signed this tombstone.
    public func verify(rotationKeys: [String]) -> Bool {
        guard let signature = Base64URL.decode(sig), signature.count == 64 else { return false }
        let message = Self.unsignedBytes(prev: prev)
        return rotationKeys.contains { didKey in
            (try? PublicKey(didKey: didKey))?.verify(signature: signature, message: message) ?? false
        }
    }
}
