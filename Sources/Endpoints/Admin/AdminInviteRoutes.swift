import ATProto
import Foundation
import Hummingbird
import Storage

/// The invite methods of the admin API: `getInviteCodes`, `disableAccountInvites`, `enableAccountInvites` and
/// `disableInviteCodes`.
enum AdminInviteRoutes {
    /// The cursor separator of the reference's keyset pagination (`<primary>::<code>`).
    static let cursorSeparator = "::"

    static func add(to xrpc: XRPCRouter, services: PDSServices) {
        xrpc.query("com.atproto.admin.getInviteCodes") { request, _ in
            try services.requireAdmin(request)
            let parameters = request.xrpcParameters
            let sortName = parameters.string("sort") ?? AccountStore.InviteCodeSort.recent.rawValue
            guard let sort = AccountStore.InviteCodeSort(rawValue: sortName) else {
                throw XRPCError.invalidRequest("unknown sort method: \(sortName)")
            }
            let limit = try parameters.int("limit", default: 100, range: 1...500)
            let cursor = try parameters.string("cursor").map { text throws(XRPCError) in try parseCursor(text, sort: sort) }
            let codes = try await services.accounts.inviteCodesPage(sort: sort, limit: limit, after: cursor)
            let next = codes.count == limit ? codes.last.map { formatCursor($0, sort: sort) } : nil
            return PageOutput(cursor: next, codes: codes.map(InviteCodeRoutes.InviteCodeOutput.init))
        }

        xrpc.procedure("com.atproto.admin.disableAccountInvites") { (request, context) async throws -> Void in
            try await setInvites(request, context: context, disabled: true, services: services)
        }

        xrpc.procedure("com.atproto.admin.enableAccountInvites") { (request, context) async throws -> Void in
            try await setInvites(request, context: context, disabled: false, services: services)
        }

        xrpc.procedure("com.atproto.admin.disableInviteCodes") { (request, context) async throws -> Void in
            try services.requireAdmin(request)
            var request = request
            let input = try await request.decodeXRPCInput(DisableCodesInput.self, context: context)
            let codes = input.codes ?? []
            let accounts = input.accounts ?? []
            if accounts.contains("admin") {
                throw XRPCError.invalidRequest("cannot disable admin invite codes")
            }
            let changed = try await services.accounts.disableInviteCodes(codes: codes, accounts: accounts)
            services.logger.notice(
                "admin change",
                metadata: [
                    "admin_action": "disable_invite_codes", "codes": "\(codes.count)", "accounts": "\(accounts.count)",
                    "disabled": "\(changed)",
                ])
        }
    }

    static func setInvites(_ request: Request, context: PDSRequestContext, disabled: Bool, services: PDSServices) async throws {
        try services.requireAdmin(request)
        var request = request
        let input = try await request.decodeXRPCInput(AccountInput.self, context: context)
        let did = try AdminRoutes.validDID(input.account, field: "account")
        guard try await services.accounts.setInvitesDisabled(did: did, disabled) else {
            throw AdminRoutes.accountNotFound(did)
        }
        AdminRoutes.log(disabled ? "disable_account_invites" : "enable_account_invites", did: did, services: services)
    }

    // MARK: Cursors

    /// `<milliseconds since the epoch>::<code>` for `recent`, `<uses>::<code>` for `usage`, as the reference.
    static func formatCursor(_ code: InviteCodeRecord, sort: AccountStore.InviteCodeSort) -> String {
        switch sort {
        case .recent:
            let millis = (try? Datetime.parseMicroseconds(code.createdAt)).map { String($0 / 1000) } ?? "0"
            return millis + cursorSeparator + code.code
        case .usage:
            return String(code.uses.count) + cursorSeparator + code.code
        }
    }

    static func parseCursor(_ text: String, sort: AccountStore.InviteCodeSort) throws(XRPCError) -> AccountStore.InviteCodeCursor {
        guard let range = text.range(of: cursorSeparator), let number = Int64(text[..<range.lowerBound]), number >= 0 else {
            throw XRPCError.invalidRequest("Malformed cursor")
        }
        let code = String(text[range.upperBound...])
        switch sort {
        case .recent:
            return .init(primary: Datetime.format(microseconds: number * 1000), code: code)
        case .usage:
            return .init(primary: String(number), code: code)
        }
    }

    // MARK: Input and output

    struct AccountInput: Decodable, Sendable {
        var account: String
        var note: String?
    }

    struct DisableCodesInput: Decodable, Sendable {
        var codes: [String]?
        var accounts: [String]?
    }

    struct PageOutput: Encodable, Sendable {
        var cursor: String?
        var codes: [InviteCodeRoutes.InviteCodeOutput]
    }
}
