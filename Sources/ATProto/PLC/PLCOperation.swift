/// An unsigned did:plc `plc_operation` (genesis when `prev` is nil, otherwise an update).
///
/// Signing encodes the operation as DAG-CBOR without a `sig` field, signs those bytes (SHA-256, ECDSA,
/// low-S, compact) with a rotation key, and stores the signature as base64url without padding.
public struct PLCOperation: Sendable, Hashable {
    public static let type = "plc_operation"

    /// Rotation keys as `did:key` strings, in descending authority.
    public var rotationKeys: [String]
    /// Verification methods by name (no `#`), values as `did:key` strings; atproto uses `atproto`.
    public var verificationMethods: [String: String]
    /// Aliases, e.g. `at://alice.example.com`.
    public var alsoKnownAs: [String]
    /// Services by name (no `#`); atproto uses `atproto_pds`.
    public var services: [String: PLCService]
    /// The CID string of the previous operation, or nil for a genesis operation.
    public var prev: String?

    public init(
        rotationKeys: [String],
        verificationMethods: [String: String],
        alsoKnownAs: [String],
        services: [String: PLCService],
        prev: String?
    ) {
        self.rotationKeys = rotationKeys
        self.verificationMethods = verificationMethods
        self.alsoKnownAs = alsoKnownAs
        self.services = services
        self.prev = prev
    }

    /// The usual atproto operation: one `atproto` signing key, the handle as `at://handle`, and the PDS
    /// as the `atproto_pds` service.
    public init(
        atprotoSigningKey: String,
        rotationKeys: [String],
        handle: String,
        pdsEndpoint: String,
        prev: String? = nil
    ) {
        self.init(
            rotationKeys: rotationKeys,
            verificationMethods: ["atproto": atprotoSigningKey],
            alsoKnownAs: ["at://" + handle],
            services: ["atproto_pds": PLCService(type: PLCService.atprotoPDSType, endpoint: pdsEndpoint)],
            prev: prev
        )
    }

    /// Whether this is a genesis (creation) operation.
    public var isGenesis: Bool { prev == nil }

    /// The `atproto` verification method (the repo signing key), if any.
    public var atprotoSigningKey: String? { verificationMethods["atproto"] }

    /// The first `at://` alias without its scheme, if any.
    public var handle: String? {
        alsoKnownAs.first(where: { $0.hasPrefix("at://") }).map { String($0.dropFirst("at://".count)) }
    }

    /// The `atproto_pds` service endpoint, if any.
    public var pdsEndpoint: String? { services["atproto_pds"]?.endpoint }

    /// The data-model form of the unsigned operation (no `sig` key; `prev` present, null for genesis).
    public func unsignedData() -> DataValue {
        .map(unsignedFields())
    }

    func unsignedFields() -> [String: DataValue] {
        [
            "type": .string(Self.type),
            "rotationKeys": .array(rotationKeys.map(DataValue.string)),
            "verificationMethods": .map(verificationMethods.mapValues(DataValue.string)),
            "alsoKnownAs": .array(alsoKnownAs.map(DataValue.string)),
            "services": .map(services.mapValues(\.dataValue)),
            "prev": prev.map(DataValue.string) ?? .null,
        ]
    }

    /// The DAG-CBOR bytes that are signed.
    public func unsignedBytes() -> [UInt8] { DAGCBOR.encode(unsignedData()) }

    /// Checks the did:plc rules for a new operation (see `validate()`), then signs it with `key`, which
    /// should be one of the rotation keys (of this operation for a genesis, of the previous one for an update).
    public func signed(with key: any SigningKey) throws(PLCError) -> SignedPLCOperation {
        try validate()
        let signature: [UInt8]
        do {
            signature = try key.sign(unsignedBytes())
        } catch {
            throw PLCError(.signingFailed, "signing the operation failed: \(error)")
        }
        let signed = SignedPLCOperation(operation: self, sig: PLCBase64URL.encode(signature))
        let size = signed.bytes().count
        guard size <= PLC.maxOperationBytes else {
            throw PLCError(.invalidOperation, "signed operation is \(size) bytes of DAG-CBOR, above the \(PLC.maxOperationBytes)-byte limit")
        }
        return signed
    }
}
