import ATProto
import Foundation
import Hummingbird
import Logging
import Storage

/// `com.atproto.admin.*` (PDS-REFERENCE §1.3), all behind admin HTTP Basic auth (``PDSServices/requireAdmin(_:)``;
/// the reference's moderation-service JWTs are not accepted), plus this server's
/// `com.swiftpds.admin.listAccounts` for the operator CLI. Every change is logged (`admin_action`, `did`) and
/// counted in `pds_account_events_total{type}`; account status changes keep `pds_accounts{status}` current.
enum AdminRoutes {
    static func add(to xrpc: XRPCRouter, services: PDSServices, settings: ServerSettings) {
        AdminAccountRoutes.add(to: xrpc, services: services, settings: settings)
        AdminInviteRoutes.add(to: xrpc, services: services)
        AdminSubjectRoutes.add(to: xrpc, services: services)
    }

    // MARK: Shared checks

    /// A DID parameter or input field, or 400 naming it.
    static func validDID(_ value: String, field: String = "did") throws(XRPCError) -> String {
        guard DID.isValid(value) else { throw XRPCError.invalidRequest("Invalid DID in \(field): \(value)") }
        return value
    }

    /// The account, including taken-down and deactivated ones, or 400 `NotFound` "Account not found".
    static func existingAccount(did: String, services: PDSServices) async throws -> AccountRecord {
        guard let account = try await services.accounts.account(did: did) else {
            throw accountNotFound(did)
        }
        return account
    }

    static func accountNotFound(_ identifier: String) -> XRPCError {
        XRPCError.invalidRequest("Account not found: \(identifier)", code: .notFound)
    }

    /// One structured log line per admin change.
    static func log(_ action: String, did: String, services: PDSServices, _ extra: Logger.Metadata = [:]) {
        var metadata: Logger.Metadata = ["admin_action": "\(action)", "did": "\(did)"]
        metadata.merge(extra) { current, _ in current }
        services.logger.notice("admin change", metadata: metadata)
    }
}
