import Foundation
import ATProto
import Hummingbird
import Storage

/// `com.atproto.server.createInviteCode`, `createInviteCodes` (admin Basic auth) and `getAccountInviteCodes`.
enum InviteCodeRoutes {
    /// Most codes (or accounts) one createInviteCodes call may ask for.
    static let maxCodesPerRequest = 1000

    static func add(to xrpc: XRPCRouter, services: PDSServices, settings: ServerSettings) {
        xrpc.procedure("com.atproto.server.createInviteCode") { request, context in
            try services.requireAdmin(request)
            var request = request
            let input = try await request.decodeXRPCInput(CreateOneInput.self, context: context)
            let useCount = try validUseCount(input.useCount)
            let account = try validAccount(input.forAccount ?? "admin")
            let code = generateCode(hostname: settings.hostname)
            try await store([(account, [code])], useCount: useCount, services: services)
            return CreateOneOutput(code: code)
        }

        xrpc.procedure("com.atproto.server.createInviteCodes") { request, context in
            try services.requireAdmin(request)
            var request = request
            let input = try await request.decodeXRPCInput(CreateManyInput.self, context: context)
            let useCount = try validUseCount(input.useCount)
            let codeCount = input.codeCount ?? 1
            guard (1...maxCodesPerRequest).contains(codeCount) else {
                throw XRPCError.invalidRequest("codeCount must be between 1 and \(maxCodesPerRequest)")
            }
            let accounts = try (input.forAccounts ?? ["admin"]).map(validAccount)
            guard !accounts.isEmpty, accounts.count * codeCount <= maxCodesPerRequest else {
                throw XRPCError.invalidRequest("forAccounts must name 1 to \(maxCodesPerRequest / codeCount) accounts")
            }
            let batches = accounts.map { account in
                (forAccount: account, codes: (0..<codeCount).map { _ in generateCode(hostname: settings.hostname) })
            }
            try await store(batches, useCount: useCount, services: services)
            return CreateManyOutput(codes: batches.map { .init(account: $0.forAccount, codes: $0.codes) })
        }

        xrpc.query("com.atproto.server.getAccountInviteCodes") { request, _ in
            let caller = try await services.requireAccess(request, allowDeactivated: true, level: .full)
            let parameters = request.xrpcParameters
            let includeUsed = try parameters.bool("includeUsed", default: true)
            // `createAvailable` asks for codes earned over time (PDS_INVITE_INTERVAL), which this server does not
            // hand out; the parameter is checked and otherwise ignored.
            _ = try parameters.bool("createAvailable", default: true)
            let codes = try await services.accounts.inviteCodes(forAccount: caller.did).filter { code in
                !code.disabled && (includeUsed || code.uses.count < code.available)
            }
            return ListOutput(codes: codes.map(InviteCodeOutput.init))
        }
    }

    // MARK: Helpers

    /// `<hostname with dots as dashes>-xxxxx-xxxxx` in lower-case base32, as the reference.
    static func generateCode(hostname: String) -> String {
        let token = AppPasswordRoutes.randomBase32(10)
        return hostname.replacingOccurrences(of: ".", with: "-") + "-" + token.prefix(5) + "-" + token.suffix(5)
    }

    static func validUseCount(_ useCount: Int) throws(XRPCError) -> Int {
        guard useCount >= 1 else { throw XRPCError.invalidRequest("useCount must be at least 1") }
        return useCount
    }

    /// `admin` or a DID.
    static func validAccount(_ account: String) throws(XRPCError) -> String {
        guard account == "admin" || DID.isValid(account) else {
            throw XRPCError.invalidRequest("Invalid account for invite codes: must be a DID or \"admin\"")
        }
        return account
    }

    static func store(_ batches: [(forAccount: String, codes: [String])], useCount: Int, services: PDSServices) async throws {
        try await services.accounts.createInviteCodes(
            batches, useCount: useCount, createdBy: "admin", createdAt: Datetime.now())
    }

    // MARK: Input and output

    struct CreateOneInput: Decodable, Sendable {
        var useCount: Int
        var forAccount: String?
    }

    struct CreateOneOutput: Encodable, Sendable {
        var code: String
    }

    struct CreateManyInput: Decodable, Sendable {
        var codeCount: Int?
        var useCount: Int
        var forAccounts: [String]?
    }

    struct CreateManyOutput: Encodable, Sendable {
        struct AccountCodes: Encodable, Sendable {
            var account: String
            var codes: [String]
        }

        var codes: [AccountCodes]
    }

    /// `com.atproto.server.defs#inviteCode`.
    struct InviteCodeOutput: Encodable, Sendable {
        struct Use: Encodable, Sendable {
            var usedBy: String
            var usedAt: String
        }

        var code: String
        var available: Int
        var disabled: Bool
        var forAccount: String
        var createdBy: String
        var createdAt: String
        var uses: [Use]

        init(_ record: InviteCodeRecord) {
            code = record.code
            available = record.available
            disabled = record.disabled
            forAccount = record.forAccount
            createdBy = record.createdBy
            createdAt = record.createdAt
            uses = record.uses.map { Use(usedBy: $0.usedBy, usedAt: $0.usedAt) }
        }
    }

    struct ListOutput: Encodable, Sendable {
        var codes: [InviteCodeOutput]
    }
}
