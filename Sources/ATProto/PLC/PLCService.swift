/// A service entry of a did:plc operation, e.g. `atproto_pds` → `{type: "AtprotoPersonalDataServer", endpoint: "https://..."}`.
public struct PLCService: Sendable, Hashable {
    /// The service type of an atproto PDS.
    public static let atprotoPDSType = "AtprotoPersonalDataServer"

    public var type: String
    public var endpoint: String

    public init(type: String, endpoint: String) {
        self.type = type
        self.endpoint = endpoint
    }

    /// The data-model form `{"type": ..., "endpoint": ...}`.
    public var dataValue: DataValue {
        .map(["type": .string(type), "endpoint": .string(endpoint)])
    }
}
