import ATProto
import CoreMetrics
import Hummingbird
import Storage

/// The `com.atproto.sync.*` read methods (PDS-REFERENCE §1.3, §3.6, §6). They need no auth; as the reference's
/// `authorizationOrAdminTokenOptional`, the repository's own account (a valid access token) or the admin (Basic
/// auth) also reads taken-down and deactivated repositories, which everyone else gets `RepoTakendown` /
/// `RepoDeactivated` for.
enum SyncRoutes {
    static func add(to xrpc: XRPCRouter, services: PDSServices, metricsFactory: any MetricsFactory) {
        let metrics = SyncMetrics(factory: metricsFactory)
        let access = SyncAccess(services: services)
        SyncRepoRoutes(services: services, access: access, metrics: metrics).add(to: xrpc)
        SyncListRoutes(services: services, access: access).add(to: xrpc)
        GetBlob(services: services, access: access, metrics: metrics).add(to: xrpc)
    }
}

/// Parameter checks and the repository availability rule shared by the sync methods.
struct SyncAccess: Sendable {
    let services: PDSServices

    static let carContentType = "application/vnd.ipld.car"

    /// The local account of `did`, as the reference's `assertRepoAvailability`: unknown → `RepoNotFound`;
    /// taken down → `RepoTakendown` and deactivated → `RepoDeactivated`, unless the caller is the account
    /// itself or the admin.
    func availableAccount(_ did: String, request: Request) async throws -> AccountRecord {
        guard let account = try await services.accounts.account(did: did) else {
            throw XRPCError.invalidRequest("Could not find repo for DID: \(did)", code: .repoNotFound)
        }
        if account.isActive { return account }
        if try await isOwnerOrAdmin(request, did: did) { return account }
        if account.takedownRef != nil {
            throw XRPCError.invalidRequest("Repo has been takendown: \(did)", code: Self.repoTakendown)
        }
        throw XRPCError.invalidRequest("Repo has been deactivated: \(did)", code: Self.repoDeactivated)
    }

    /// Whether the request carries admin Basic auth or an access token of `did` (a present but invalid
    /// credential is an error, as everywhere).
    func isOwnerOrAdmin(_ request: Request, did: String) async throws -> Bool {
        guard let header = request.headers[.authorization] else { return false }
        if header.lowercased().hasPrefix("basic ") {
            try services.requireAdmin(request)
            return true
        }
        let caller = try await services.optionalAccess(request, allowTakendown: true, allowDeactivated: true)
        return caller?.did == did
    }

    static let repoTakendown: XRPCError.Code = "RepoTakendown"
    static let repoDeactivated: XRPCError.Code = "RepoDeactivated"

    // MARK: Parameters

    /// The required `did` parameter, a syntactically valid DID.
    static func did(_ params: XRPCParameters) throws -> String {
        let did = try params.requiredString("did")
        guard DID.isValid(did) else { throw XRPCError.invalidRequest("did must be a valid did") }
        return did
    }

    /// The optional `since` parameter, a TID.
    static func since(_ params: XRPCParameters) throws -> String? {
        guard let since = params.string("since") else { return nil }
        guard TID.isValid(since) else { throw XRPCError.invalidRequest("since must be a valid tid") }
        return since
    }

    static func cid(_ raw: String, name: String) throws -> CID {
        do {
            return try CID(string: raw)
        } catch {
            throw XRPCError.invalidRequest("\(name) must be a cid string")
        }
    }
}
