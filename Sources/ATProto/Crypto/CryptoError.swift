/// An error from key parsing, signing or encoding. `code` says what went wrong; `message` gives the detail.
public struct CryptoError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is; extensible.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// A private key is not 32 bytes, is zero, or is not below the curve order.
        public static let invalidPrivateKey = Code(name: "invalidPrivateKey")
        /// A public key has the wrong length or is not a point on the curve.
        public static let invalidPublicKey = Code(name: "invalidPublicKey")
        /// A `did:key` or multikey string is malformed (prefix, multibase, multicodec).
        public static let invalidKeyEncoding = Code(name: "invalidKeyEncoding")
        /// The key type (multicodec or curve) is not one atproto supports.
        public static let unsupportedKeyType = Code(name: "unsupportedKeyType")
        /// The underlying crypto library failed to produce a signature.
        public static let signingFailed = Code(name: "signingFailed")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// Errors are equal when their codes are equal; the message is detail.
    public static func == (lhs: CryptoError, rhs: CryptoError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
