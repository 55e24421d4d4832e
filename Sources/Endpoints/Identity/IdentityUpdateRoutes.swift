import ATProto
import Hummingbird
import Logging
import Storage

/// The account's own identity methods (PDS-REFERENCE §1.3, §5.4): `com.atproto.identity.updateHandle`,
/// `getRecommendedDidCredentials` and `submitPlcOperation`. A deactivated account may call them (it is how a
/// migrating account points its DID here); a taken-down one may not.
///
/// `requestPlcOperationSignature` and `signPlcOperation` (the old host's side, which needs email tokens) are not
/// served: a migrating account's old host signs the operation.
enum IdentityUpdateRoutes {
    static let updateHandleNSID = "com.atproto.identity.updateHandle"
    static let recommendedCredentialsNSID = "com.atproto.identity.getRecommendedDidCredentials"
    static let submitPLCOperationNSID = "com.atproto.identity.submitPlcOperation"

    static func add(to xrpc: XRPCRouter, services: PDSServices, settings: ServerSettings) {
        let rules = HandleRules(serviceDomains: settings.serviceHandleDomains)

        // Auth: access token (app passwords too), not taken down; 10 per 5 minutes and 50 per day per DID.
        xrpc.procedure(updateHandleNSID) { (request, context) async throws -> Response in
            let caller = try await services.requireAccess(request, allowDeactivated: true)
            return try await services.rateLimiter.limited(
                [.updateHandleShort, .updateHandleDay], key: caller.did, route: updateHandleNSID, request: request,
                context: context
            ) {
                var request = request
                let input = try await request.decodeXRPCInput(HandleInput.self, context: context)
                let (handle, isServiceHandle) = try rules.validate(input.handle, allowExternal: true, allowAnyValid: false)
                if !isServiceHandle {
                    try await services.confirmExternalHandle(handle, did: caller.did)
                }
                guard let seq = try await services.changeHandle(did: caller.did, to: handle, current: caller.account.handle)
                else { throw XRPCError.invalidRequest("Account not found", code: "AccountNotFound") }
                services.accountMetrics.record(.handleUpdated)
                log("update_handle", did: caller.did, services: services, ["handle": "\(handle)", "seq": "\(seq)"])
                return Response(status: .ok)
            }
        }

        xrpc.query(recommendedCredentialsNSID) { (request, _) async throws -> Credentials in
            let caller = try await services.requireAccess(request, allowDeactivated: true)
            return try await recommendedCredentials(did: caller.did, handle: caller.account.handle, services: services, settings: settings)
        }

        xrpc.procedure(submitPLCOperationNSID) { (request, context) async throws -> Void in
            let caller = try await services.requireAccess(request, allowDeactivated: true)
            var request = request
            let input = try await JSONObjectInput.read(&request, context: context)
            guard let value = input.fields["operation"] else {
                throw XRPCError.invalidRequest("Input must have the property \"operation\"")
            }
            let operation: SignedPLCOperation
            do {
                operation = try SignedPLCOperation(dataValue: value)
            } catch {
                throw XRPCError.invalidRequest("Invalid operation")
            }
            try await checkOperation(operation.operation, caller: caller, services: services, settings: settings)
            do {
                try await services.plc.submit(did: caller.did, operation: operation)
            } catch let error as PLCClientError {
                services.logger.info(
                    "PLC operation not accepted", metadata: ["did": "\(caller.did)", "error": "\(error)"])
                if error.code == .rejected {
                    throw XRPCError.invalidRequest("The PLC directory refused the operation: \(error.message)")
                }
                throw XRPCError.upstreamFailure("The PLC directory did not accept the operation: \(error.message)")
            }
            services.didResolver.forget(caller.did)
            let seq = try await services.accounts.announceIdentity(did: caller.did)
            services.accountMetrics.record(.plcOperationSubmitted)
            log("submit_plc_operation", did: caller.did, services: services, ["seq": "\(seq ?? 0)"])
        }
    }

    /// What this server needs in the DID document: the handle, the account's signing key, this server's rotation
    /// key and its endpoint (the reference's output; no recovery key is configured here).
    static func recommendedCredentials(
        did: String, handle: String?, services: PDSServices, settings: ServerSettings
    ) async throws -> Credentials {
        guard let key = try await services.accounts.signingKey(did: did) else {
            throw XRPCError.forbidden("Account not found", code: "AccountNotFound")
        }
        return Credentials(
            alsoKnownAs: handle.map { ["at://\($0)"] } ?? [],
            verificationMethods: ["atproto": key.publicKey.didKey],
            rotationKeys: [services.secrets.plcRotationKey.publicKey.didKey],
            services: ["atproto_pds": .init(type: PLCService.atprotoPDSType, endpoint: settings.publicURL)])
    }

    /// The reference's checks before posting an operation: it keeps this server's rotation key, names this
    /// server as the `atproto_pds` (type and endpoint), the account's signing key as `atproto`, and its handle
    /// first in `alsoKnownAs` (all 400 `InvalidRequest`, the reference's messages).
    static func checkOperation(
        _ operation: PLCOperation, caller: AuthenticatedAccount, services: PDSServices, settings: ServerSettings
    ) async throws {
        guard operation.rotationKeys.contains(services.secrets.plcRotationKey.publicKey.didKey) else {
            throw XRPCError.invalidRequest("Rotation keys do not include server's rotation key")
        }
        guard operation.services["atproto_pds"]?.type == PLCService.atprotoPDSType else {
            throw XRPCError.invalidRequest("Incorrect type on atproto_pds service")
        }
        guard operation.services["atproto_pds"]?.endpoint == settings.publicURL else {
            throw XRPCError.invalidRequest("Incorrect endpoint on atproto_pds service")
        }
        let key = try await services.accounts.signingKey(did: caller.did)
        guard let key, operation.verificationMethods["atproto"] == key.publicKey.didKey else {
            throw XRPCError.invalidRequest("Incorrect signing key")
        }
        if let handle = caller.account.handle, operation.alsoKnownAs.first != "at://\(handle)" {
            throw XRPCError.invalidRequest("Incorrect handle in alsoKnownAs")
        }
    }

    static func log(_ event: String, did: String, services: PDSServices, _ extra: Logger.Metadata = [:]) {
        var metadata: Logger.Metadata = ["event": "\(event)", "did": "\(did)"]
        metadata.merge(extra) { _, new in new }
        services.logger.info("account identity changed", metadata: metadata)
    }

    // MARK: Input and output

    struct HandleInput: Decodable, Sendable {
        var handle: String
    }

    struct Credentials: Encodable, Sendable {
        struct Service: Encodable, Sendable {
            var type: String
            var endpoint: String
        }

        var alsoKnownAs: [String]
        var verificationMethods: [String: String]
        var rotationKeys: [String]
        var services: [String: Service]
    }
}
