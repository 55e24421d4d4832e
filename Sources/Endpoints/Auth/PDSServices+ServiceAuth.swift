import ATProto
import Foundation
import Hummingbird

extension PDSServices {
    /// The reference's `userServiceAuthOptional`: a request without a `Bearer` token is unauthenticated (nil);
    /// a `Bearer` token must be a valid inter-service JWT for `nsid` (``ServiceAuthVerifier``), else its 401.
    ///
    /// Counted in `pds_auth_attempts_total{method="service"}`.
    public func optionalServiceAuth(_ request: Request, nsid: String) async throws(XRPCError) -> ServiceJWT.Claims? {
        let header: AuthorizationHeader?
        do {
            header = try AuthorizationHeader.parse(request.headers[.authorization])
        } catch {
            authMetrics.record(.service, .invalid)
            throw error
        }
        guard case .bearer(let token)? = header else { return nil }
        do {
            let claims = try await serviceAuth.verify(token, lxm: nsid)
            authMetrics.record(.service, .ok)
            return claims
        } catch {
            authMetrics.record(.service, Self.serviceAuthResult(for: error))
            logger.debug(
                "service auth refused", metadata: ["nsid": "\(nsid)", "error_code": "\(error.code.rawValue)"])
            throw error
        }
    }

    /// The reference's `authorization()` with user service auth, for `uploadBlob`: an access token as
    /// ``requireAccess(_:allowTakendown:allowDeactivated:level:)`` takes it, or a `Bearer` inter-service JWT with an
    /// `lxm` claim (the Bluesky video service uploads with the token the account's app got from getServiceAuth:
    /// `aud` this server, `lxm` `nsid`, `iss` a local account). Such a caller has the app-password scope; its
    /// account must exist here (403 `AccountNotFound`) and not be taken down (401 `AccountTakedown`).
    public func requireAccessOrUserServiceAuth(
        _ request: Request, nsid: String, allowDeactivated: Bool = false
    ) async throws(XRPCError) -> AuthenticatedAccount {
        guard case .bearer(let token)? = try? AuthorizationHeader.parse(request.headers[.authorization]),
            let parsed = try? ServiceJWT.parse(token), parsed.typ != "at+jwt", parsed.claims.lxm != nil
        else {
            return try await requireAccess(request, allowDeactivated: allowDeactivated)
        }
        let claims: ServiceJWT.Claims
        do {
            claims = try await serviceAuth.verify(token, lxm: nsid)
        } catch {
            authMetrics.record(.service, Self.serviceAuthResult(for: error))
            logger.debug("service auth refused", metadata: ["nsid": "\(nsid)", "error_code": "\(error.code.rawValue)"])
            throw error
        }
        guard !claims.iss.contains("#") else {
            authMetrics.record(.service, .invalid)
            throw XRPCError.authenticationRequired("jwt iss must be an account DID", code: "BadJwtIss")
        }
        let account = try await checkedAccount(
            did: claims.iss, method: .service, allowTakendown: false, allowDeactivated: allowDeactivated)
        authMetrics.record(.service, .ok)
        return AuthenticatedAccount(did: claims.iss, scope: .appPass, appPasswordName: nil, account: account)
    }

    /// An inter-service JWT from `did` (signed with its repo key) for `aud` and `lxm`; `exp` defaults to a minute.
    /// 403 `AccountNotFound` when the account has no key here.
    func mintServiceToken(
        did: String, aud: String, lxm: String?, exp: Int64? = nil, now: Date = Date()
    ) async throws(XRPCError) -> (token: String, claims: ServiceJWT.Claims) {
        let found: K256PrivateKey?
        do {
            found = try await accounts.signingKey(did: did)
        } catch {
            throw internalError(error)
        }
        guard let key = found else { throw XRPCError.forbidden("Account not found", code: "AccountNotFound") }
        do {
            return try ServiceJWT.mint(iss: did, aud: aud, lxm: lxm, exp: exp, key: key, now: now)
        } catch {
            logger.error("service token signing failed", metadata: ["did": "\(did)", "error": "\(error)"])
            throw XRPCError.internalServerError()
        }
    }

    /// The `result` label of a refused service token: `expired`, `invalid` (malformed, forged, wrong audience,
    /// method or issuer, replayed) or `failed` (the issuer could not be resolved).
    static func serviceAuthResult(for error: XRPCError) -> AuthMetrics.Result {
        switch error.code.rawValue {
        case "JwtExpired": .expired
        case let code where code.hasPrefix("BadJwt"): .invalid
        default: .failed
        }
    }
}
