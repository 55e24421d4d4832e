import ATProto
import Foundation
import Hummingbird
import Logging
import Storage

extension PDSServices {
    // MARK: Access tokens

    /// Verifies the request's `Authorization: Bearer <access JWT>` and the account behind it.
    ///
    /// - Missing header: 401 `AuthMissing`. Malformed header, forged, wrong-type (refresh) or `alg:none` token:
    ///   400 `InvalidToken`. Expired: 400 `ExpiredToken`. A scope below `level`: 400 `InvalidToken`
    ///   "Bad token scope".
    /// - Unknown account: 403 `AccountNotFound`. Taken down: 401 `AccountTakedown` unless `allowTakendown`
    ///   (which also admits `com.atproto.takendown` tokens). Deactivated: 401 `AccountDeactivated` unless
    ///   `allowDeactivated`.
    public func requireAccess(
        _ request: Request,
        allowTakendown: Bool = false,
        allowDeactivated: Bool = false,
        level: AccessLevel = .standard
    ) async throws(XRPCError) -> AuthenticatedAccount {
        guard let header = try parsedAuthorization(request, method: .access) else {
            authMetrics.record(.access, .failed)
            throw XRPCError.authMissing()
        }
        return try await verifyAccess(
            header, allowTakendown: allowTakendown, allowDeactivated: allowDeactivated, level: level)
    }

    /// Like ``requireAccess(_:allowTakendown:allowDeactivated:level:)`` but nil when the request has no
    /// `Authorization` header. A header that is present must be valid.
    public func optionalAccess(
        _ request: Request,
        allowTakendown: Bool = false,
        allowDeactivated: Bool = false,
        level: AccessLevel = .standard
    ) async throws(XRPCError) -> AuthenticatedAccount? {
        guard let header = try parsedAuthorization(request, method: .access) else { return nil }
        return try await verifyAccess(
            header, allowTakendown: allowTakendown, allowDeactivated: allowDeactivated, level: level)
    }

    private func verifyAccess(
        _ header: AuthorizationHeader, allowTakendown: Bool, allowDeactivated: Bool, level: AccessLevel
    ) async throws(XRPCError) -> AuthenticatedAccount {
        let token: String
        switch header {
        case .bearer(let value):
            token = value
        case .dpop:
            authMetrics.record(.access, .invalid)
            throw XRPCError.invalidToken("OAuth (DPoP) access tokens are not supported by this server")
        case .basic:
            authMetrics.record(.access, .invalid)
            throw XRPCError.invalidToken("Unexpected authorization type")
        }
        var scopes = Set(AuthScope.allCases.filter(level.allows))
        if allowTakendown { scopes.insert(.takendown) }
        let claims: SessionJWT.Claims
        do {
            claims = try jwt.verify(token, type: .access, allowedScopes: scopes)
        } catch {
            authMetrics.record(.access, AuthMetrics.result(for: error))
            throw error
        }
        let account = try await checkedAccount(
            did: claims.sub, method: .access, allowTakendown: allowTakendown, allowDeactivated: allowDeactivated)
        authMetrics.record(.access, .ok)
        return AuthenticatedAccount(did: claims.sub, scope: claims.scope, appPasswordName: nil, account: account)
    }

    // MARK: Refresh tokens

    /// A verified refresh token: its claims (`jti` is the stored token's id).
    public struct RefreshCredentials: Sendable {
        public let did: String
        public let tokenID: String
        public let claims: SessionJWT.Claims
    }

    /// Verifies the request's `Authorization: Bearer <refresh JWT>` (signature, `typ: refresh+jwt`, scope,
    /// `jti`). Whether the token is still stored is for the caller to check (rotation does).
    ///
    /// - Parameter allowExpired: accept an expired token (deleteSession revokes expired tokens too).
    public func requireRefresh(_ request: Request, allowExpired: Bool = false) throws(XRPCError) -> RefreshCredentials {
        guard let header = try parsedAuthorization(request, method: .refresh) else {
            authMetrics.record(.refresh, .failed)
            throw XRPCError.authMissing()
        }
        guard case .bearer(let token) = header else {
            authMetrics.record(.refresh, .invalid)
            throw XRPCError.invalidToken("Unexpected authorization type")
        }
        do {
            let claims = try jwt.verify(token, type: .refresh, allowedScopes: [.refresh], allowExpired: allowExpired)
            return RefreshCredentials(did: claims.sub, tokenID: claims.jti ?? "", claims: claims)
        } catch {
            authMetrics.record(.refresh, AuthMetrics.result(for: error))
            throw error
        }
    }

    // MARK: Admin

    /// Verifies HTTP Basic admin auth: user `admin`, password ``ServerSecrets/adminPassword`` (compared in
    /// constant time). Missing header: 401 `AuthMissing`; anything else wrong: 401 `AuthenticationRequired`.
    public func requireAdmin(_ request: Request) throws(XRPCError) {
        guard let header = try parsedAuthorization(request, method: .admin) else {
            authMetrics.record(.admin, .failed)
            throw XRPCError.authMissing()
        }
        guard case .basic(let username, let password) = header, username == "admin",
            !secrets.adminPassword.isEmpty,
            PasswordHasher.constantTimeEqual(Array(password.utf8), Array(secrets.adminPassword.utf8))
        else {
            authMetrics.record(.admin, .failed)
            throw XRPCError.authenticationRequired()
        }
        authMetrics.record(.admin, .ok)
    }

    // MARK: Sessions

    /// Tokens of a new session.
    public struct SessionTokens: Sendable, Hashable {
        public let accessJwt: String
        public let refreshJwt: String
    }

    /// Issues an access and a refresh token for `did` and stores the refresh token (except for `takendown`
    /// sessions, whose refresh tokens are never stored so they cannot be rotated). Tests use it to get tokens
    /// without logging in.
    public func issueSession(
        did: String, scope: AuthScope = .access, appPasswordName: String? = nil, now: Date = Date()
    ) async throws(XRPCError) -> SessionTokens {
        let access = jwt.accessToken(did: did, scope: scope, now: now)
        let refresh = jwt.refreshToken(did: did, now: now)
        if scope != .takendown, let jti = refresh.claims.jti {
            do {
                try await accounts.storeRefreshToken(
                    id: jti, did: did, expiresAt: Self.timestamp(seconds: refresh.claims.exp),
                    appPasswordName: appPasswordName)
            } catch {
                throw internalError(error)
            }
        }
        return SessionTokens(accessJwt: access.jwt, refreshJwt: refresh.jwt)
    }

    // MARK: Helpers

    /// The account of a verified token, with the takedown and deactivation checks.
    func checkedAccount(
        did: String, method: AuthMetrics.Method, allowTakendown: Bool, allowDeactivated: Bool
    ) async throws(XRPCError) -> AccountRecord {
        let found: AccountRecord?
        do {
            found = try await accounts.account(did: did)
        } catch {
            throw internalError(error)
        }
        guard let account = found else {
            authMetrics.record(method, .failed)
            throw XRPCError.forbidden("Account not found", code: "AccountNotFound")
        }
        if account.takedownRef != nil, !allowTakendown {
            authMetrics.record(method, .failed)
            throw XRPCError.authenticationRequired("Account has been taken down", code: "AccountTakedown")
        }
        if account.deactivatedAt != nil, !allowDeactivated {
            authMetrics.record(method, .failed)
            throw XRPCError.authenticationRequired("Account is deactivated", code: "AccountDeactivated")
        }
        return account
    }

    private func parsedAuthorization(_ request: Request, method: AuthMetrics.Method) throws(XRPCError) -> AuthorizationHeader? {
        do {
            return try AuthorizationHeader.parse(request.headers[.authorization])
        } catch {
            authMetrics.record(method, .invalid)
            throw error
        }
    }

    /// ISO 8601 UTC with milliseconds, the format of every time stored by the account tables.
    static func timestamp(seconds: Int64) -> String {
        Datetime.format(microseconds: seconds * 1_000_000)
    }

    static func timestamp(_ date: Date) -> String {
        Datetime.format(date)
    }

    /// A storage failure inside an auth check: logged here with its detail, answered with a plain 500.
    func internalError(_ error: StorageError) -> XRPCError {
        logger.error("storage failure during authentication", metadata: ["error": "\(error)"])
        return XRPCError.internalServerError()
    }
}
