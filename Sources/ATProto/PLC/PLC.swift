/// did:plc constants and identifier derivation.
public enum PLC {
    /// The PLC directory's limit on an operation's DAG-CBOR size.
    public static let maxOperationBytes = 7500
    /// The most rotation keys an operation may list.
    public static let maxRotationKeys = 5
    /// The public directory.
    public static let defaultDirectory = "https://plc.directory"

    /// The DID a signed genesis operation creates: `did:plc:` + the first 24 characters of
    /// base32(sha256(DAG-CBOR of the signed operation)).
    public static func did(forGenesis operation: SignedPLCOperation) -> String {
        did(forGenesisBytes: operation.bytes())
    }

    /// The DID for the DAG-CBOR bytes of a signed genesis operation (of any operation format).
    public static func did(forGenesisBytes bytes: [UInt8]) -> String {
        "did:plc:" + Multibase.base32Encode(SHA256Hash.digest(bytes)).prefix(24)
    }
}
