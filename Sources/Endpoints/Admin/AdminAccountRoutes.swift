import ATProto
import Foundation
import Hummingbird
import Storage

/// The account methods of the admin API: `deleteAccount`, `getAccountInfo(s)`, `updateAccountEmail`,
/// `updateAccountHandle`, `updateAccountPassword`, and `com.swiftpds.admin.listAccounts`.
enum AdminAccountRoutes {
    static let listAccountsNSID = "com.swiftpds.admin.listAccounts"
    /// Most DIDs one getAccountInfos call may name.
    static let maxInfos = 1000

    static func add(to xrpc: XRPCRouter, services: PDSServices, settings: ServerSettings) {
        let rules = HandleRules(serviceDomains: settings.serviceHandleDomains)

        xrpc.procedure("com.atproto.admin.deleteAccount") { (request, context) async throws -> Void in
            try services.requireAdmin(request)
            var request = request
            let input = try await request.decodeXRPCInput(DIDInput.self, context: context)
            let did = try AdminRoutes.validDID(input.did)
            guard let deleted = try await services.accounts.deleteAccount(did: did) else {
                throw AdminRoutes.accountNotFound(did)
            }
            await services.blobs?.deleteAll(did: did)
            services.accountMetrics.record(.deleted)
            await services.refreshAccountGauge()
            AdminRoutes.log(
                "delete_account", did: did, services: services,
                ["seq": "\(deleted.seq)", "blobs": "\(deleted.blobCIDs.count)"])
        }

        xrpc.query("com.atproto.admin.getAccountInfo") { request, _ in
            try services.requireAdmin(request)
            let did = try AdminRoutes.validDID(try request.xrpcParameters.requiredString("did"))
            let account = try await AdminRoutes.existingAccount(did: did, services: services)
            return try await AdminAccountView.load(account, services: services)
        }

        xrpc.query("com.atproto.admin.getAccountInfos") { request, _ in
            try services.requireAdmin(request)
            let dids = request.xrpcParameters.all("dids")
            guard !dids.isEmpty else { throw XRPCError.invalidRequest("Params must have the property \"dids\"") }
            guard dids.count <= maxInfos else {
                throw XRPCError.invalidRequest("At most \(maxInfos) dids may be asked for at once")
            }
            for did in dids { _ = try AdminRoutes.validDID(did, field: "dids") }
            var infos: [AdminAccountView] = []
            for account in try await services.accounts.accounts(dids: dids) {
                infos.append(try await AdminAccountView.load(account, services: services))
            }
            return InfosOutput(infos: infos)
        }

        xrpc.query(listAccountsNSID) { request, _ in
            try services.requireAdmin(request)
            let parameters = request.xrpcParameters
            let limit = try parameters.int("limit", default: 100, range: 1...1000)
            let cursor = parameters.string("cursor")
            if let cursor { _ = try AdminRoutes.validDID(cursor, field: "cursor") }
            let accounts = try await services.accounts.listAccounts(after: cursor, limit: limit)
            var views: [AdminAccountView] = []
            for account in accounts {
                views.append(try await AdminAccountView.load(account, services: services))
            }
            return ListOutput(accounts: views, cursor: accounts.count == limit ? accounts.last?.did : nil)
        }

        xrpc.procedure("com.atproto.admin.updateAccountEmail") { (request, context) async throws -> Void in
            try services.requireAdmin(request)
            var request = request
            let input = try await request.decodeXRPCInput(EmailInput.self, context: context)
            let account = try await account(identifier: input.account, services: services)
            let email = input.email.lowercased()
            guard EmailAddress.isValid(email) else {
                throw XRPCError.invalidRequest("Invalid email address: \(input.email)", code: .invalidEmail)
            }
            do {
                guard try await services.accounts.updateEmail(did: account.did, email: email) else {
                    throw AdminRoutes.accountNotFound(account.did)
                }
            } catch let error as StorageError where error.code == .conflict {
                throw XRPCError.invalidRequest("Email already taken: \(email)", code: .invalidEmail)
            }
            services.accountMetrics.record(.emailUpdated)
            AdminRoutes.log("update_email", did: account.did, services: services)
        }

        xrpc.procedure("com.atproto.admin.updateAccountHandle") { (request, context) async throws -> Void in
            try services.requireAdmin(request)
            var request = request
            let input = try await request.decodeXRPCInput(HandleInput.self, context: context)
            let did = try AdminRoutes.validDID(input.did)
            let account = try await AdminRoutes.existingAccount(did: did, services: services)
            // As the reference (`allowAnyValid`): reserved names and the slur list are waived for admins, and a
            // handle outside the service domains is accepted when it resolves to the DID.
            let (handle, isServiceHandle) = try rules.validate(input.handle, allowExternal: true, allowAnyValid: true)
            if !isServiceHandle {
                try await services.confirmExternalHandle(handle, did: did)
            }
            guard let seq = try await services.changeHandle(did: did, to: handle, current: account.handle) else {
                throw AdminRoutes.accountNotFound(did)
            }
            services.accountMetrics.record(.handleUpdated)
            AdminRoutes.log("update_handle", did: did, services: services, ["handle": "\(handle)", "seq": "\(seq)"])
        }

        xrpc.procedure("com.atproto.admin.updateAccountPassword") { (request, context) async throws -> Void in
            try services.requireAdmin(request)
            var request = request
            let input = try await request.decodeXRPCInput(PasswordInput.self, context: context)
            let did = try AdminRoutes.validDID(input.did)
            guard !input.password.isEmpty, input.password.count <= PasswordHasher.maxNewPasswordLength else {
                throw XRPCError.invalidRequest("Invalid password length.", code: .invalidPassword)
            }
            _ = try await AdminRoutes.existingAccount(did: did, services: services)
            let hash = try await services.passwords.hash(input.password)
            guard let revoked = try await services.accounts.updatePassword(did: did, passwordScrypt: hash) else {
                throw AdminRoutes.accountNotFound(did)
            }
            services.accountMetrics.record(.passwordUpdated)
            AdminRoutes.log("update_password", did: did, services: services, ["sessions_revoked": "\(revoked)"])
        }
    }

    /// The account named by a handle or DID (`at-identifier`), or 400 naming it.
    static func account(identifier: String, services: PDSServices) async throws -> AccountRecord {
        guard AtIdentifier.isValid(identifier) else {
            throw XRPCError.invalidRequest("Invalid account (a handle or DID): \(identifier)")
        }
        let found =
            identifier.hasPrefix("did:")
            ? try await services.accounts.account(did: identifier)
            : try await services.accounts.account(handle: identifier)
        guard let found else { throw XRPCError.invalidRequest("Account does not exist: \(identifier)", code: .notFound) }
        return found
    }

    // MARK: Input and output

    struct DIDInput: Decodable, Sendable {
        var did: String
    }

    struct EmailInput: Decodable, Sendable {
        var account: String
        var email: String
    }

    struct HandleInput: Decodable, Sendable {
        var did: String
        var handle: String
    }

    struct PasswordInput: Decodable, Sendable {
        var did: String
        var password: String
    }

    struct InfosOutput: Encodable, Sendable {
        var infos: [AdminAccountView]
    }

    struct ListOutput: Encodable, Sendable {
        var accounts: [AdminAccountView]
        var cursor: String?
    }
}
