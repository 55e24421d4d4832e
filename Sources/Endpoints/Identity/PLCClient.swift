import ATProto

/// A did:plc directory (`PDS_DID_PLC_URL`, https://plc.directory by default).
public protocol PLCClient: Sendable {
    /// Posts a signed operation for `did` (`POST /<did>`). Throws ``PLCClientError/Code/rejected`` with the
    /// directory's message when it refuses the operation.
    func submit(did: String, operation: SignedPLCOperation) async throws(PLCClientError)

    /// Posts a tombstone retiring `did` (`POST /<did>`).
    func submit(did: String, tombstone: PLCTombstone) async throws(PLCClientError)

    /// The DID document (`GET /<did>`); ``PLCClientError/Code/notFound`` for an unknown or retired DID.
    func document(did: String) async throws(PLCClientError) -> DIDDocument

    /// The DID's latest operation (`GET /<did>/log/last`).
    func lastOperation(did: String) async throws(PLCClientError) -> SignedPLCOperation
}
