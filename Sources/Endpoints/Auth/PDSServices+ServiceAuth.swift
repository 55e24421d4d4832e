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
