/// A private key that signs atproto messages: SHA-256 of the message, ECDSA, 64-byte compact `r || s`, low-S.
public protocol SigningKey: Sendable {
    /// The public half of this key.
    var publicKey: PublicKey { get }
    /// Signs SHA-256(`message`); returns the 64-byte compact low-S signature.
    func sign(_ message: [UInt8]) throws(CryptoError) -> [UInt8]
}

extension SigningKey {
    /// The curve of this key.
    public var curve: Curve { publicKey.curve }
    /// The `did:key` of this key's public half.
    public var didKey: String { publicKey.didKey }
}
