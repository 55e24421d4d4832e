/// `com.atproto.server.describeServer`, with the reference's fields.
enum DescribeServer {
    static let nsid = "com.atproto.server.describeServer"

    struct Output: Encodable, Sendable {
        struct Links: Encodable, Sendable {
            let privacyPolicy: String?
            let termsOfService: String?
        }

        struct Contact: Encodable, Sendable {
            let email: String?
        }

        let did: String
        let availableUserDomains: [String]
        let inviteCodeRequired: Bool
        let phoneVerificationRequired: Bool
        let blobUploadLimit: Int
        let links: Links
        let contact: Contact
    }

    static func output(settings: ServerSettings) -> Output {
        Output(
            did: settings.serviceDID,
            availableUserDomains: settings.serviceHandleDomains,
            inviteCodeRequired: settings.inviteRequired,
            phoneVerificationRequired: false,
            blobUploadLimit: settings.blobUploadLimit,
            links: .init(privacyPolicy: settings.privacyPolicyURL, termsOfService: settings.termsOfServiceURL),
            contact: .init(email: settings.contactEmail)
        )
    }

    static func add(to xrpc: XRPCRouter, settings: ServerSettings) {
        let output = output(settings: settings)
        xrpc.query(nsid) { _, _ in output }
    }
}
