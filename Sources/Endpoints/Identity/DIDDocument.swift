import ATProto

/// The parts of a DID document atproto uses (PDS-REFERENCE §5.6): the handle in `alsoKnownAs`, the repo signing
/// key as the `#atproto` verification method (`Multikey`), and the PDS as the `#atproto_pds` service.
public struct DIDDocument: Codable, Sendable, Hashable {
    public struct VerificationMethod: Codable, Sendable, Hashable {
        public var id: String
        public var type: String
        public var controller: String
        public var publicKeyMultibase: String?

        public init(id: String, type: String, controller: String, publicKeyMultibase: String?) {
            self.id = id
            self.type = type
            self.controller = controller
            self.publicKeyMultibase = publicKeyMultibase
        }
    }

    public struct Service: Codable, Sendable, Hashable {
        public var id: String
        public var type: String
        public var serviceEndpoint: String

        public init(id: String, type: String, serviceEndpoint: String) {
            self.id = id
            self.type = type
            self.serviceEndpoint = serviceEndpoint
        }
    }

    static let didKeyPrefix = "did:key:"

    /// The `@context` of a did:plc document.
    public static let plcContext = [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
        "https://w3id.org/security/suites/secp256k1-2019/v1",
    ]

    public var context: [String]
    public var id: String
    public var alsoKnownAs: [String]
    public var verificationMethod: [VerificationMethod]
    public var service: [Service]

    enum CodingKeys: String, CodingKey {
        case context = "@context"
        case id, alsoKnownAs, verificationMethod, service
    }

    public init(
        context: [String] = DIDDocument.plcContext, id: String, alsoKnownAs: [String],
        verificationMethod: [VerificationMethod], service: [Service]
    ) {
        self.context = context
        self.id = id
        self.alsoKnownAs = alsoKnownAs
        self.verificationMethod = verificationMethod
        self.service = service
    }

    /// The document a did:plc's current operation describes (as the PLC directory formats it): each
    /// verification method as `<did>#<name>` `Multikey`, each service as `#<name>`.
    public init(did: String, operation: PLCOperation) {
        let methods = operation.verificationMethods.sorted { $0.key < $1.key }.map { name, didKey in
            VerificationMethod(
                id: "\(did)#\(name)", type: "Multikey", controller: did,
                publicKeyMultibase: didKey.hasPrefix(DIDDocument.didKeyPrefix)
                    ? String(didKey.dropFirst(DIDDocument.didKeyPrefix.count)) : didKey)
        }
        let services = operation.services.sorted { $0.key < $1.key }.map { name, service in
            Service(id: "#\(name)", type: service.type, serviceEndpoint: service.endpoint)
        }
        self.init(id: did, alsoKnownAs: operation.alsoKnownAs, verificationMethod: methods, service: services)
    }

    /// Decodes leniently: a missing `@context`, `alsoKnownAs`, `verificationMethod` or `service` is empty, and
    /// entries of those last two that are not of the atproto shape are left out.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        context = try container.decodeIfPresent([String].self, forKey: .context) ?? []
        id = try container.decode(String.self, forKey: .id)
        alsoKnownAs = try container.decodeIfPresent([String].self, forKey: .alsoKnownAs) ?? []
        // Entries of other shapes (a service endpoint given as an object or list, a JWK key) are skipped: atproto
        // reads only its own `#atproto*` entries, and a did:web document may hold anything else.
        verificationMethod =
            (try container.decodeIfPresent([Lenient<VerificationMethod>].self, forKey: .verificationMethod) ?? [])
            .compactMap(\.value)
        service = (try container.decodeIfPresent([Lenient<Service>].self, forKey: .service) ?? []).compactMap(\.value)
    }

    /// One array element, nil when it does not decode as `Value`.
    private struct Lenient<Value: Decodable>: Decodable {
        let value: Value?

        init(from decoder: any Decoder) throws {
            value = try? Value(from: decoder)
        }
    }

    /// The first `at://` alias without its scheme.
    public var handle: String? {
        alsoKnownAs.first { $0.hasPrefix("at://") }.map { String($0.dropFirst("at://".count)) }
    }

    /// The `#atproto` signing key as a `did:key`.
    public var atprotoSigningKey: String? {
        verificationMethod.first { $0.id == "#atproto" || $0.id == "\(id)#atproto" }?
            .publicKeyMultibase.map { DIDDocument.didKeyPrefix + $0 }
    }

    /// The `#atproto_pds` service endpoint.
    public var pdsEndpoint: String? {
        service.first { $0.id == "#atproto_pds" || $0.id == "\(id)#atproto_pds" }?.serviceEndpoint
    }
}
