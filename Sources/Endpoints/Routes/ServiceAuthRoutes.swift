import ATProto
import Foundation
import Hummingbird

/// `com.atproto.server.getServiceAuth` (PDS-REFERENCE §2.5; the reference's `server/getServiceAuth.ts`): an
/// inter-service JWT from the caller's DID, signed with its repo signing key, for the service `aud` (an atproto
/// DID or `did#service`), limited to the method `lxm` when given.
///
/// Auth: an access token; taken-down (`com.atproto.takendown`) sessions and deactivated accounts too, since
/// migrating away is what they may still do. Rules, in the reference's order (all 400):
/// - `aud` not an atproto DID or `did#service`: `InvalidRequest`;
/// - a takendown session (or any session of a taken-down account) asking for anything but
///   `lxm=com.atproto.server.createAccount`: `InvalidToken` "Bad token scope";
/// - a privileged method (chat, createAccount; compared case-insensitively) from an ordinary app password:
///   `InvalidRequest`;
/// - `exp` (seconds) in the past, more than an hour ahead, or more than a minute ahead without `lxm`:
///   `BadExpiration`;
/// - a protected method (account management that must be called directly): `InvalidRequest`.
enum ServiceAuthRoutes {
    static let nsid = "com.atproto.server.getServiceAuth"
    static let createAccountNSID = "com.atproto.server.createAccount"
    static let maxLifetimeSeconds: Double = 3600
    static let maxMethodlessLifetimeSeconds: Double = 60

    /// Methods that need a full session or a privileged app password (the reference's `PRIVILEGED_METHODS`).
    static let privilegedMethods: Set<String> = Set(
        [
            "chat.bsky.actor.deleteAccount", "chat.bsky.actor.exportAccountData", "chat.bsky.convo.deleteMessageForSelf",
            "chat.bsky.convo.getConvo", "chat.bsky.convo.getConvoForMembers", "chat.bsky.convo.getLog",
            "chat.bsky.convo.getMessages", "chat.bsky.convo.leaveConvo", "chat.bsky.convo.listConvos",
            "chat.bsky.convo.muteConvo", "chat.bsky.convo.sendMessage", "chat.bsky.convo.sendMessageBatch",
            "chat.bsky.convo.unmuteConvo", "chat.bsky.convo.updateRead", createAccountNSID,
        ].map { $0.lowercased() })

    /// Methods no service token may be issued for (the reference's `PROTECTED_METHODS`).
    static let protectedMethods: Set<String> = Set(
        [
            "com.atproto.admin.sendEmail", "com.atproto.identity.requestPlcOperationSignature",
            "com.atproto.identity.signPlcOperation", "com.atproto.identity.updateHandle",
            "com.atproto.server.activateAccount", "com.atproto.server.confirmEmail",
            "com.atproto.server.createAppPassword", "com.atproto.server.deactivateAccount",
            "com.atproto.server.getAccountInviteCodes", "com.atproto.server.getSession",
            "com.atproto.server.listAppPasswords", "com.atproto.server.requestAccountDelete",
            "com.atproto.server.requestEmailConfirmation", "com.atproto.server.requestEmailUpdate",
            "com.atproto.server.revokeAppPassword", "com.atproto.server.updateEmail",
        ].map { $0.lowercased() })

    struct Output: Encodable, Sendable {
        var token: String
    }

    static func add(to xrpc: XRPCRouter, services: PDSServices) {
        xrpc.query(nsid) { request, _ in
            let caller = try await services.requireAccess(request, allowTakendown: true, allowDeactivated: true)
            let parameters = request.xrpcParameters
            let aud = try parameters.requiredString("aud")
            let exp = try parameters.int("exp")
            let lxm = parameters.string("lxm")
            let token = try await issue(caller: caller, aud: aud, exp: exp, lxm: lxm, services: services)
            return try JSONBody.response(Output(token: token))
        }
    }

    /// Checks the request and mints the token.
    static func issue(
        caller: AuthenticatedAccount, aud: String, exp: Int?, lxm: String?, services: PDSServices, now: Date = Date()
    ) async throws(XRPCError) -> String {
        guard AtprotoDID.isValid(aud) || AtprotoDID.isValidReference(aud) else {
            throw XRPCError.invalidRequest("aud must be a valid atproto DID or did#serviceId reference")
        }
        if let lxm, !NSID.isValid(lxm) {
            throw XRPCError.invalidRequest("lxm must be a valid NSID")
        }
        let method = lxm?.lowercased()
        if caller.scope == .takendown || caller.account.takedownRef != nil {
            // A taken-down account may still migrate away, and do nothing else (also with an access token issued
            // before the takedown, which the reference would let mint any token).
            guard method == createAccountNSID.lowercased() else {
                throw XRPCError.invalidToken("Bad token scope")
            }
        } else if let method, privilegedMethods.contains(method), !AccessLevel.privileged.allows(caller.scope) {
            throw XRPCError.invalidRequest(
                "insufficient access to request a service auth token for the following method: \(lxm ?? "")")
        }
        if let exp {
            let ahead = Double(exp) - now.timeIntervalSince1970
            if ahead < 0 {
                throw XRPCError.invalidRequest("expiration is in past", code: "BadExpiration")
            } else if ahead > maxLifetimeSeconds {
                throw XRPCError.invalidRequest(
                    "cannot request a token with an expiration more than an hour in the future", code: "BadExpiration")
            } else if lxm == nil, ahead > maxMethodlessLifetimeSeconds {
                throw XRPCError.invalidRequest(
                    "cannot request a method-less token with an expiration more than a minute in the future",
                    code: "BadExpiration")
            }
        }
        if let method, protectedMethods.contains(method) {
            throw XRPCError.invalidRequest(
                "cannot request a service auth token for the following protected method: \(lxm ?? "")")
        }
        let minted = try await services.mintServiceToken(
            did: caller.did, aud: aud, lxm: lxm, exp: exp.map { Int64($0) }, now: now)
        services.logger.info(
            "service auth token issued",
            metadata: [
                "event": "service_auth_issued", "did": "\(caller.did)", "aud": "\(aud)", "lxm": "\(lxm ?? "")",
                "exp": "\(minted.claims.exp)",
            ])
        return minted.token
    }
}
