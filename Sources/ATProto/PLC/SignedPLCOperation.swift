import Foundation

/// A `plc_operation` with its signature: what is posted to the PLC directory and hashed into the DID and
/// into the next operation's `prev`.
public struct SignedPLCOperation: Sendable, Hashable {
    public let operation: PLCOperation
    /// The signature as base64url without padding.
    public let sig: String

    public init(operation: PLCOperation, sig: String) {
        self.operation = operation
        self.sig = sig
    }

    /// The data-model form: the unsigned fields plus `sig`.
    public func dataValue() -> DataValue {
        var fields = operation.unsignedFields()
        fields["sig"] = .string(sig)
        return .map(fields)
    }

    /// The DAG-CBOR encoding of the signed operation.
    public func bytes() -> [UInt8] { DAGCBOR.encode(dataValue()) }

    /// The operation's CID (dag-cbor, sha-256), which the next operation names as `prev`.
    public func cid() -> CID { CID.dagCBOR(hashing: bytes()) }

    /// The JSON body to POST to `https://plc.directory/<did>`.
    public func jsonBytes() -> [UInt8] { AtprotoJSON.serialize(dataValue()) }

    /// The JSON form as a Foundation object (for APIs that take `[String: Any]`).
    public func jsonObject() -> [String: Any] {
        // Serialized by our own encoder from strings, arrays and maps only: always a JSON object.
        (try? JSONSerialization.jsonObject(with: Data(jsonBytes()))) as? [String: Any] ?? [:]
    }

    /// The 64-byte signature, or nil when `sig` is not canonical unpadded base64url.
    public var signature: [UInt8]? { PLCBase64URL.decode(sig) }

    /// Whether one of `rotationKeys` (did:key strings) signed this operation.
    public func verify(rotationKeys: [String]) -> Bool {
        signerIndex(among: rotationKeys) != nil
    }

    /// The index of the first key in `rotationKeys` whose signature this is, or nil. A lower index means
    /// more authority (used for recovery within the 72-hour window). Unparseable keys never match.
    public func signerIndex(among rotationKeys: [String]) -> Int? {
        guard let signature, signature.count == 64 else { return nil }
        let message = operation.unsignedBytes()
        for (index, didKey) in rotationKeys.enumerated() {
            guard let key = try? PublicKey(didKey: didKey) else { continue }
            if key.verify(signature: signature, message: message) { return index }
        }
        return nil
    }
}
