import Crypto

/// SHA-256, the one hash function atproto uses (signatures, CIDs, MST key depth, did:plc).
public enum SHA256Hash {
    /// The 32-byte SHA-256 digest of `bytes`.
    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { Array(SHA256.hash(data: $0)) }
    }

    /// The 32-byte SHA-256 digest of a byte collection (slices, `Data`, ...).
    public static func digest(_ bytes: some Collection<UInt8>) -> [UInt8] {
        if let digest = bytes.withContiguousStorageIfAvailable({ Array(SHA256.hash(data: UnsafeRawBufferPointer($0))) }) {
            return digest
        }
        return digest(Array(bytes))
    }
}
