import ATProto
import CoreMetrics
import Foundation
import Hummingbird
import Storage

/// The account flows that send a code by email (PDS-REFERENCE §5.5; the reference's `server/*Email*`,
/// `requestPasswordReset`, `resetPassword`, `requestAccountDelete`, `deleteAccount`,
/// `identity/requestPlcOperationSignature`, `signPlcOperation`). Codes are `XXXXX-XXXXX`, valid 15 minutes, one
/// per purpose and account (``AccountStore/createEmailToken(did:purpose:now:)``); a wrong code is 400
/// `InvalidToken` "Token is invalid", an old one 400 `ExpiredToken` "Token is expired".
///
/// Without a mailer (`PDS_EMAIL_SENDMAIL_PATH` unset) the request methods answer 400 `InvalidRequest` "This server
/// does not send email" and nothing is stored. Every email counts in `pds_emails_sent_total{purpose,result}`.
enum EmailRoutes {
    static let emailsSent = "pds_emails_sent_total"
    static let noMailer = "This server does not send email; ask its operator"
    typealias Purpose = AccountStore.EmailTokenPurpose

    static func add(to xrpc: XRPCRouter, services: PDSServices, metricsFactory: any MetricsFactory) {
        let sender = EmailSender(services: services, factory: metricsFactory)

        /// A method that mails a code to the caller's address: 5 per hour and 15 per day per DID; deactivated
        /// accounts too.
        func codeRequest(
            _ nsid: String, _ purpose: Purpose, level: AccessLevel, allowTakendown: Bool = false,
            _ template: @escaping @Sendable (String) -> (subject: String, text: String)
        ) {
            xrpc.procedure(nsid) { (request, context) async throws -> Response in
                let caller = try await services.requireAccess(
                    request, allowTakendown: allowTakendown, allowDeactivated: true, level: level)
                return try await services.rateLimiter.limited(
                    [.emailHour, .emailDay], key: caller.did, route: nsid, request: request, context: context
                ) {
                    if purpose == .plcOperation, !caller.did.hasPrefix("did:plc:") {
                        throw XRPCError.invalidRequest("only did:plc identities have PLC operations")
                    }
                    try await sender.send(purpose, did: caller.did, to: try Self.email(of: caller.account), template)
                    return Response(status: .ok)
                }
            }
        }

        // Access token (app passwords too), not taken down.
        codeRequest("com.atproto.server.requestEmailConfirmation", .confirmEmail, level: .standard, MailTemplates.confirmEmail)

        xrpc.procedure("com.atproto.server.confirmEmail") { (request, context) async throws -> Void in
            let caller = try await services.requireAccess(request, allowDeactivated: true)
            var request = request
            let input = try await request.decodeXRPCInput(ConfirmInput.self, context: context)
            guard let email = caller.account.email, email == input.email.lowercased() else {
                throw XRPCError.invalidRequest("invalid email", code: .invalidEmail)
            }
            try await Self.check(services, did: caller.did, purpose: .confirmEmail, token: input.token)
            try await services.accounts.confirmEmail(did: caller.did)
            services.logger.info("email confirmed", metadata: ["event": "email_confirmed", "did": "\(caller.did)"])
        }

        // Auth: full session. A code is needed (and sent) only when the current address is confirmed.
        xrpc.procedure("com.atproto.server.requestEmailUpdate") { (request, context) async throws -> Response in
            let caller = try await services.requireAccess(request, allowDeactivated: true, level: .full)
            return try await services.rateLimiter.limited(
                [.emailHour, .emailDay], key: caller.did, route: "com.atproto.server.requestEmailUpdate",
                request: request, context: context
            ) {
                let email = try Self.email(of: caller.account)
                let tokenRequired = caller.account.emailConfirmedAt != nil
                if tokenRequired {
                    try await sender.send(.updateEmail, did: caller.did, to: email) { MailTemplates.updateEmail(token: $0) }
                }
                return try JSONBody.response(UpdateRequestOutput(tokenRequired: tokenRequired))
            }
        }

        xrpc.procedure("com.atproto.server.updateEmail") { (request, context) async throws -> Void in
            let caller = try await services.requireAccess(request, allowDeactivated: true, level: .full)
            var request = request
            let input = try await request.decodeXRPCInput(UpdateInput.self, context: context)
            guard EmailAddress.isValid(input.email) else {
                throw XRPCError.invalidRequest("This email address is not supported, please use a different email.")
            }
            if caller.account.emailConfirmedAt != nil {
                guard let token = input.token else {
                    throw XRPCError.invalidRequest("confirmation token required", code: "TokenRequired")
                }
                try await Self.check(services, did: caller.did, purpose: .updateEmail, token: token)
            }
            do {
                guard try await services.accounts.updateEmail(did: caller.did, email: input.email) else {
                    throw XRPCError.invalidRequest("Account not found", code: "AccountNotFound")
                }
            } catch let error as StorageError where error.code == .conflict {
                throw XRPCError.invalidRequest("This email address is already in use, please use a different email.")
            }
            services.accountMetrics.record(.emailUpdated)
            services.logger.info("email updated", metadata: ["event": "email_updated", "did": "\(caller.did)"])
        }

        // No auth (per-IP limits in RateLimitPolicy): the answer is the same whether or not the address is known.
        xrpc.procedure("com.atproto.server.requestPasswordReset") { (request, context) async throws -> Void in
            var request = request
            let input = try await request.decodeXRPCInput(PasswordResetRequestInput.self, context: context)
            guard sender.canSend else { throw XRPCError.invalidRequest(noMailer) }
            guard let account = try await services.accounts.account(email: input.email.lowercased()), let email = account.email
            else { return }
            let identifier = account.handle ?? email
            try await sender.send(.resetPassword, did: account.did, to: email) {
                MailTemplates.resetPassword(token: $0, identifier: identifier)
            }
        }

        xrpc.procedure("com.atproto.server.resetPassword") { (request, context) async throws -> Void in
            var request = request
            let input = try await request.decodeXRPCInput(ResetInput.self, context: context)
            try Self.checkNewPassword(input.password)
            let (found, outcome) = try await services.accounts.findEmailToken(purpose: .resetPassword, token: input.token)
            try Self.answer(outcome)
            guard let did = found else { throw Self.invalidToken }
            let hash = try await services.passwords.hash(input.password)
            guard try await services.accounts.updatePassword(did: did, passwordScrypt: hash) != nil else {
                throw Self.invalidToken
            }
            services.accountMetrics.record(.passwordUpdated)
            services.logger.info("password reset", metadata: ["event": "password_reset", "did": "\(did)"])
        }

        // Full session, not taken down.
        codeRequest("com.atproto.server.requestAccountDelete", .deleteAccount, level: .full, MailTemplates.deleteAccount)

        // No auth: the DID, the account password and the code.
        xrpc.procedure("com.atproto.server.deleteAccount") { (request, context) async throws -> Void in
            var request = request
            let input = try await request.decodeXRPCInput(DeleteInput.self, context: context)
            guard DID.isValid(input.did), let account = try await services.accounts.account(did: input.did) else {
                throw XRPCError.invalidRequest("account not found")
            }
            guard let stored = account.passwordScrypt, await services.passwords.verify(input.password, against: stored) else {
                throw XRPCError.authenticationRequired("Invalid did or password")
            }
            try await Self.check(services, did: account.did, purpose: .deleteAccount, token: input.token)
            guard let deleted = try await services.accounts.deleteAccount(did: account.did) else {
                throw XRPCError.invalidRequest("account not found")
            }
            await services.blobs?.deleteAll(did: account.did)
            services.accountMetrics.record(.deleted)
            await services.refreshAccountGauge()
            services.logger.info(
                "account deleted by its owner",
                metadata: ["event": "account_deleted", "did": "\(account.did)", "seq": "\(deleted.seq)",
                    "blobs": "\(deleted.blobCIDs.count)"])
        }

        // Full session; taken-down accounts too (moving away is what they may still do).
        codeRequest(
            "com.atproto.identity.requestPlcOperationSignature", .plcOperation, level: .full, allowTakendown: true,
            MailTemplates.plcOperation)

        // The next operation of the DID, built from its last one with the fields given replaced, signed with this
        // server's rotation key; not submitted (the caller submits it, usually through the new server).
        xrpc.procedure("com.atproto.identity.signPlcOperation") { (request, context) async throws -> Response in
            let caller = try await services.requireAccess(
                request, allowTakendown: true, allowDeactivated: true, level: .full)
            var request = request
            let input = try await request.decodeXRPCInput(SignInput.self, context: context)
            guard let token = input.token else {
                throw XRPCError.invalidRequest("email confirmation token required to sign PLC operations")
            }
            guard caller.did.hasPrefix("did:plc:") else {
                throw XRPCError.invalidRequest("only did:plc identities have PLC operations")
            }
            try await Self.check(services, did: caller.did, purpose: .plcOperation, token: token)
            let last: SignedPLCOperation
            do {
                last = try await services.plc.lastOperation(did: caller.did)
            } catch {
                throw XRPCError.upstreamFailure("could not read the DID's last PLC operation: \(error)")
            }
            var next = last.operation
            if let keys = input.rotationKeys { next.rotationKeys = keys }
            if let aliases = input.alsoKnownAs { next.alsoKnownAs = aliases }
            if let methods = input.verificationMethods { next.verificationMethods = methods }
            if let services = input.services {
                next.services = services.mapValues { PLCService(type: $0.type, endpoint: $0.endpoint) }
            }
            next.prev = last.cid().string
            let signed: SignedPLCOperation
            do {
                signed = try next.signed(with: services.secrets.plcRotationKey)
            } catch {
                throw XRPCError.invalidRequest("invalid PLC operation: \(error)")
            }
            try await services.accounts.deleteEmailToken(did: caller.did, purpose: .plcOperation)
            services.logger.info("plc operation signed", metadata: ["event": "plc_operation_signed", "did": "\(caller.did)"])
            return try RepoJSON.response(.map(["operation": signed.dataValue()]))
        }
    }

    // MARK: Helpers


    static let invalidToken = XRPCError.invalidRequest("Token is invalid", code: .invalidToken)

    static func email(of account: AccountRecord) throws(XRPCError) -> String {
        guard let email = account.email else { throw XRPCError.invalidRequest("account does not have an email address") }
        return email
    }

    static func check(_ services: PDSServices, did: String, purpose: Purpose, token: String) async throws {
        try answer(try await services.accounts.checkEmailToken(did: did, purpose: purpose, token: token))
    }

    static func answer(_ outcome: AccountStore.EmailTokenCheck) throws(XRPCError) {
        switch outcome {
        case .valid: return
        case .invalid: throw invalidToken
        case .expired: throw XRPCError.invalidRequest("Token is expired", code: .expiredToken)
        }
    }

    static func checkNewPassword(_ password: String) throws(XRPCError) {
        guard !password.isEmpty else { throw XRPCError.invalidRequest("Password must not be empty", code: .invalidPassword) }
        guard password.count <= PasswordHasher.maxNewPasswordLength else {
            throw XRPCError.invalidRequest(
                "Password too long. Maximum length is \(PasswordHasher.maxNewPasswordLength) characters.",
                code: .invalidPassword)
        }
    }

    struct ConfirmInput: Decodable, Sendable {
        var email: String
        var token: String
    }

    struct UpdateInput: Decodable, Sendable {
        var email: String
        var emailAuthFactor: Bool?
        var token: String?
    }

    struct UpdateRequestOutput: Encodable, Sendable {
        var tokenRequired: Bool
    }

    struct PasswordResetRequestInput: Decodable, Sendable {
        var email: String
    }

    struct ResetInput: Decodable, Sendable {
        var token: String
        var password: String
    }

    struct DeleteInput: Decodable, Sendable {
        var did: String
        var password: String
        var token: String
    }

    struct ServiceInput: Decodable, Sendable {
        var type: String
        var endpoint: String
    }

    struct SignInput: Decodable, Sendable {
        var token: String?
        var rotationKeys: [String]?
        var alsoKnownAs: [String]?
        var verificationMethods: [String: String]?
        var services: [String: ServiceInput]?
    }
}

/// Creates a code, sends it and counts the email; a failed send removes nothing but answers 500 (the code stays
/// valid: asking again replaces it).
struct EmailSender: Sendable {
    let services: PDSServices
    let factory: any MetricsFactory

    var canSend: Bool { services.mailer != nil }

    func send(
        _ purpose: AccountStore.EmailTokenPurpose, did: String, to address: String,
        _ template: (String) -> (subject: String, text: String)
    ) async throws {
        guard let mailer = services.mailer else { throw XRPCError.invalidRequest(EmailRoutes.noMailer) }
        let token = try await services.accounts.createEmailToken(did: did, purpose: purpose)
        let (subject, text) = template(token)
        do {
            try await mailer.send(MailMessage(to: address, subject: subject, text: text))
        } catch {
            record(purpose, "error")
            services.logger.error(
                "email not sent", metadata: ["event": "email_failed", "purpose": "\(purpose.rawValue)", "did": "\(did)", "error": "\(error)"])
            throw XRPCError.internalServerError()
        }
        record(purpose, "ok")
        services.logger.info("email sent", metadata: ["event": "email_sent", "purpose": "\(purpose.rawValue)", "did": "\(did)"])
    }

    private func record(_ purpose: AccountStore.EmailTokenPurpose, _ result: String) {
        Counter(label: EmailRoutes.emailsSent, dimensions: [("purpose", purpose.rawValue), ("result", result)], factory: factory)
            .increment()
    }
}
