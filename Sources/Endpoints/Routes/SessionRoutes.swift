import ATProto
import Foundation
import Hummingbird
import Storage

/// `com.atproto.server.createSession`, `refreshSession`, `getSession` and `deleteSession` (PDS-REFERENCE §2.2-2.4).
enum SessionRoutes {
    static let createSessionNSID = "com.atproto.server.createSession"
    /// Every login attempt, right or wrong, takes at least this long (the reference's timing floor), so unknown
    /// identifiers and wrong passwords look alike.
    static let loginTimingFloor: Duration = .milliseconds(350)
    /// How long a rotated refresh token can still be used.
    static let refreshGraceSeconds: TimeInterval = 2 * 3600
    /// The `handle` of an account without a valid handle.
    static let invalidHandle = "handle.invalid"

    static func add(to xrpc: XRPCRouter, services: PDSServices) {
        xrpc.procedure(createSessionNSID) { request, context in
            var request = request
            let input = try await request.decodeXRPCInput(CreateSessionInput.self, context: context)
            let clientIP = RateLimitClientAddress.resolve(
                peer: context.remoteAddress?.ipAddress,
                forwardedFor: request.headers[values: RateLimitClientAddress.forwardedForHeader],
                trustForwardedFor: services.rateLimiter.settings.trustForwardedFor)
            let headers = try services.rateLimiter.enforce(
                [.createSessionShort, .createSessionDay], key: "\(input.identifier)-\(clientIP)",
                route: createSessionNSID, request: request, context: context)
            do {
                let output = try await createSession(input, services: services)
                return try JSONBody.response(output, headers: headers)
            } catch var error as XRPCError {
                // Failed logins carry this method's limit headers too.
                error.headers.append(contentsOf: headers)
                throw error
            }
        }

        xrpc.procedure("com.atproto.server.refreshSession") { request, _ in
            try await refreshSession(request, services: services)
        }

        xrpc.query("com.atproto.server.getSession") { request, _ in
            let caller = try await services.requireAccess(request, allowTakendown: true, allowDeactivated: true)
            return SessionOutput(account: caller.account, tokens: nil)
        }

        xrpc.procedure("com.atproto.server.deleteSession") { request, _ in
            let credentials = try services.requireRefresh(request, allowExpired: true)
            try await services.accounts.revokeRefreshToken(id: credentials.tokenID)
            return Response(status: .ok)
        }
    }

    // MARK: createSession

    struct CreateSessionInput: Decodable, Sendable {
        var identifier: String
        var password: String
        var allowTakendown: Bool?
        var authFactorToken: String?
    }

    static func createSession(_ input: CreateSessionInput, services: PDSServices) async throws -> SessionOutput {
        let start = ContinuousClock.now
        let outcome = await login(identifier: input.identifier, password: input.password, services: services)
        let elapsed = ContinuousClock.now - start
        if elapsed < loginTimingFloor {
            try? await Task.sleep(for: loginTimingFloor - elapsed)
        }
        let (account, appPassword) = try outcome.get()
        let takendown = account.takedownRef != nil
        if takendown, input.allowTakendown != true {
            throw XRPCError.authenticationRequired("Account has been taken down", code: "AccountTakedown")
        }
        let tokens = try await services.issueSession(
            did: account.did, scope: AuthScope.forSession(appPassword: appPassword, takendown: takendown),
            appPasswordName: appPassword?.name)
        return SessionOutput(account: account, tokens: tokens)
    }

    /// Finds the account and checks the password: the account password first, then the app passwords
    /// (taken-down accounts cannot use app passwords). Every failure is the same 401.
    static func login(
        identifier: String, password: String, services: PDSServices
    ) async -> Result<(AccountRecord, AppPasswordGrant?), XRPCError> {
        let failure = XRPCError.authenticationRequired("Invalid identifier or password")
        let normalized = identifier.lowercased()
        let found: AccountRecord?
        do {
            if normalized.contains("@") {
                found = try await services.accounts.account(email: normalized)
            } else if AtIdentifier.isValid(normalized) {
                found = try await services.accounts.account(identifier: normalized)
            } else {
                found = nil
            }
        } catch {
            return .failure(services.internalError(error))
        }
        guard let account = found else {
            services.authMetrics.record(.password, .failed)
            return .failure(failure)
        }
        if let stored = account.passwordScrypt, await services.passwords.verify(password, against: stored) {
            services.authMetrics.record(.password, .ok)
            return .success((account, nil))
        }
        guard account.takedownRef == nil, password.count <= PasswordHasher.maxVerifiedPasswordLength else {
            services.authMetrics.record(.password, .failed)
            return .failure(failure)
        }
        do {
            let hash = try await services.passwords.appPasswordHash(did: account.did, password: password)
            if let appPassword = try await services.accounts.appPassword(did: account.did, passwordScrypt: hash) {
                services.authMetrics.record(.appPassword, .ok)
                return .success((account, AppPasswordGrant(name: appPassword.name, privileged: appPassword.privileged)))
            }
        } catch let error as StorageError {
            return .failure(services.internalError(error))
        } catch {
            services.logger.error("app password hashing failed", metadata: ["error": "\(error)"])
            return .failure(.internalServerError())
        }
        services.authMetrics.record(.password, .failed)
        return .failure(failure)
    }

    // MARK: refreshSession

    static func refreshSession(_ request: Request, services: PDSServices) async throws -> SessionOutput {
        let credentials = try services.requireRefresh(request)
        guard let account = try await services.accounts.account(did: credentials.did) else {
            services.authMetrics.record(.refresh, .failed)
            throw XRPCError.invalidRequest("Could not find user info for account: \(credentials.did)")
        }
        if account.takedownRef != nil {
            services.authMetrics.record(.refresh, .failed)
            throw XRPCError.authenticationRequired("Account has been taken down", code: "AccountTakedown")
        }
        let now = Date()
        let iat = Int64(now.timeIntervalSince1970)
        let issuedAt = Date(timeIntervalSince1970: TimeInterval(iat))
        guard
            let rotation = try await services.accounts.rotateRefreshToken(
                id: credentials.tokenID,
                now: PDSServices.timestamp(now),
                graceExpiresAt: PDSServices.timestamp(now.addingTimeInterval(refreshGraceSeconds)),
                newID: SessionJWT.newTokenID(),
                nextExpiresAt: PDSServices.timestamp(seconds: iat + SessionJWT.refreshLifetimeSeconds))
        else {
            services.authMetrics.record(.refresh, .expired)
            throw XRPCError.expiredToken("Token has been revoked")
        }
        let appPassword = rotation.appPasswordName.map {
            AppPasswordGrant(name: $0, privileged: rotation.appPasswordPrivileged)
        }
        let scope = AuthScope.forSession(appPassword: appPassword, takendown: false)
        let access = services.jwt.accessToken(did: account.did, scope: scope, now: issuedAt)
        let refresh = services.jwt.refreshToken(did: account.did, jti: rotation.nextID, now: issuedAt)
        services.authMetrics.record(.refresh, .ok)
        return SessionOutput(
            account: account, tokens: PDSServices.SessionTokens(accessJwt: access.jwt, refreshJwt: refresh.jwt))
    }

    // MARK: Output

    /// The session output of createSession, refreshSession and getSession (tokens omitted by getSession).
    struct SessionOutput: Encodable, Sendable {
        var accessJwt: String?
        var refreshJwt: String?
        var handle: String
        var did: String
        var email: String?
        var emailConfirmed: Bool
        var active: Bool
        var status: String?

        init(account: AccountRecord, tokens: PDSServices.SessionTokens?) {
            accessJwt = tokens?.accessJwt
            refreshJwt = tokens?.refreshJwt
            handle = account.handle ?? SessionRoutes.invalidHandle
            did = account.did
            email = account.email
            emailConfirmed = account.emailConfirmedAt != nil
            active = account.isActive
            status = account.status
        }
    }
}
