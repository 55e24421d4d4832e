import Storage

/// `com.atproto.admin.defs#accountView`, as the reference's `formatAccountInfo` fills it (this server manages its
/// own invites, so `invites`, `invitedBy` and `invitesDisabled` are always present), plus `status` (this
/// server's addition, absent when active) so operators see takedowns without a second call.
struct AdminAccountView: Encodable, Sendable {
    var did: String
    var handle: String
    var email: String?
    var indexedAt: String
    var emailConfirmedAt: String?
    var invitedBy: InviteCodeRoutes.InviteCodeOutput?
    var invites: [InviteCodeRoutes.InviteCodeOutput]
    var invitesDisabled: Bool
    var deactivatedAt: String?
    var status: String?

    init(_ account: AccountRecord, invites: [InviteCodeRecord], invitedBy: InviteCodeRecord?) {
        did = account.did
        handle = account.handle ?? SessionRoutes.invalidHandle
        email = account.email
        indexedAt = account.createdAt
        emailConfirmedAt = account.emailConfirmedAt
        self.invitedBy = invitedBy.map(InviteCodeRoutes.InviteCodeOutput.init)
        self.invites = invites.map(InviteCodeRoutes.InviteCodeOutput.init)
        invitesDisabled = account.invitesDisabled
        deactivatedAt = account.deactivatedAt
        status = account.status
    }

    /// The view of `account` with its invite codes and the code it signed up with.
    static func load(_ account: AccountRecord, services: PDSServices) async throws -> AdminAccountView {
        let invites = try await services.accounts.inviteCodes(forAccount: account.did)
        let invitedBy = try await services.accounts.invitedBy(did: account.did)
        return AdminAccountView(account, invites: invites, invitedBy: invitedBy)
    }
}
