import Hummingbird

/// `/.well-known/did.json`: the did:web document of the service, with its `#atproto_pds`
/// endpoint. Served only when the service DID is the did:web of this host; 404 otherwise.
enum WellKnownRoutes {
    struct DIDDocument: Encodable, Sendable {
        struct Service: Encodable, Sendable {
            let id: String
            let type: String
            let serviceEndpoint: String
        }

        let context: [String]
        let id: String
        let service: [Service]

        enum CodingKeys: String, CodingKey {
            case context = "@context"
            case id
            case service
        }
    }

    static func document(settings: ServerSettings) -> DIDDocument? {
        guard settings.serviceDID.hasPrefix("did:web:") else { return nil }
        return DIDDocument(
            context: ["https://www.w3.org/ns/did/v1"],
            id: settings.serviceDID,
            service: [.init(id: "#atproto_pds", type: "AtprotoPersonalDataServer", serviceEndpoint: settings.publicURL)]
        )
    }

    static func add(to router: Router<PDSRequestContext>, settings: ServerSettings) {
        let document = document(settings: settings)
        router.get("/.well-known/did.json") { _, _ in
            guard let document else { throw XRPCError.notFound("this server has no did:web document") }
            return try JSONBody.response(document)
        }
    }
}
