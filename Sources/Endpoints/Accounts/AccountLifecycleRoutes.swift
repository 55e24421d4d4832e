import ATProto
import Hummingbird
import Logging
import Storage

/// The account's own hosting status (PDS-REFERENCE §5.2–5.4): `com.atproto.server.deactivateAccount`,
/// `activateAccount` and `checkAccountStatus`, the last steps of a migration on either side.
///
/// - deactivateAccount `{deleteAfter?}`: full session (a taken-down account's too); appends
///   `#account {active: false, status: deactivated}`. Writes then fail with `AccountDeactivated`.
/// - activateAccount: full session; the DID document must make this server the host (rotation key, endpoint,
///   signing key; ``PDSServices/assertDIDDocumentPointsHere(did:publicURL:)``), then a fresh commit signed with
///   the account's key and `#account`, `#identity`, `#sync`.
/// - checkAccountStatus: any session; `{activated, validDid, repoCommit, repoRev, repoBlocks, indexedRecords,
///   privateStateValues, expectedBlobs, importedBlobs}`.
enum AccountLifecycleRoutes {
    static let deactivateNSID = "com.atproto.server.deactivateAccount"
    static let activateNSID = "com.atproto.server.activateAccount"
    static let checkStatusNSID = "com.atproto.server.checkAccountStatus"

    static func add(to xrpc: XRPCRouter, services: PDSServices, settings: ServerSettings) {
        xrpc.procedure(deactivateNSID) { (request, context) async throws -> Void in
            let caller = try await services.requireAccess(request, allowTakendown: true, allowDeactivated: true, level: .full)
            var request = request
            let input = try await optionalInput(&request, context: context)
            if let deleteAfter = input.deleteAfter, !Datetime.isValid(deleteAfter) {
                throw XRPCError.invalidRequest("Input/deleteAfter must be a valid datetime: \(deleteAfter)")
            }
            guard let change = try await services.accounts.deactivate(did: caller.did, deleteAfter: input.deleteAfter) else {
                throw XRPCError.invalidRequest("user not found", code: "AccountNotFound")
            }
            services.accountMetrics.record(.deactivated)
            await services.refreshAccountGauge()
            log("deactivate_account", did: caller.did, services: services, change: change)
        }

        xrpc.procedure(activateNSID) { (request, _) async throws -> Void in
            let caller = try await services.requireAccess(request, allowDeactivated: true, level: .full)
            try await services.assertDIDDocumentPointsHere(did: caller.did, publicURL: settings.publicURL)
            guard let change = try await services.accounts.activate(did: caller.did) else {
                throw XRPCError.invalidRequest("user not found", code: "AccountNotFound")
            }
            services.accountMetrics.record(.activated)
            await services.refreshAccountGauge()
            log("activate_account", did: caller.did, services: services, change: change)
        }

        xrpc.query(checkStatusNSID) { (request, _) async throws -> StatusOutput in
            let caller = try await services.requireAccess(request, allowDeactivated: true)
            let counts = try await services.repos.statusCounts(did: caller.did)
            guard let head = counts.head else { throw XRPCError.repoNotFound("Could not find repo: \(caller.did)") }
            let validDID: Bool
            do {
                try await services.assertDIDDocumentPointsHere(did: caller.did, publicURL: settings.publicURL)
                validDID = true
            } catch {
                validDID = false
            }
            return StatusOutput(
                activated: caller.account.deactivatedAt == nil, validDid: validDID, repoCommit: head.commitCID.string,
                repoRev: head.rev, repoBlocks: counts.repoBlocks, indexedRecords: counts.indexedRecords,
                privateStateValues: 0, expectedBlobs: counts.expectedBlobs, importedBlobs: counts.importedBlobs)
        }
    }

    /// deactivateAccount's input, which may be absent altogether.
    static func optionalInput(_ request: inout Request, context: PDSRequestContext) async throws -> DeactivateInput {
        let buffer = try await request.collectXRPCBody(context: context)
        guard buffer.readableBytes > 0 else { return DeactivateInput() }
        return try XRPCInputDecoder.decode(DeactivateInput.self, from: buffer)
    }

    static func log(_ event: String, did: String, services: PDSServices, change: AccountStore.StatusChange) {
        let seqs: [String] = change.seqs.map { "\($0)" }
        let metadata: Logger.Metadata = [
            "event": .string(event), "did": .string(did), "status": .string(change.account.status ?? "active"),
            "seqs": .string(seqs.joined(separator: ",")),
        ]
        services.logger.info("account status changed", metadata: metadata)
    }

    // MARK: Input and output

    struct DeactivateInput: Decodable, Sendable {
        var deleteAfter: String?
    }

    struct StatusOutput: Encodable, Sendable {
        var activated: Bool
        var validDid: Bool
        var repoCommit: String
        var repoRev: String
        var repoBlocks: Int
        var indexedRecords: Int
        var privateStateValues: Int
        var expectedBlobs: Int
        var importedBlobs: Int
    }
}
