import ATProto
import Foundation

/// Verifies inbound inter-service JWTs (PDS-REFERENCE §2.5 "Verifying"; the reference's `verifyJwt` and
/// `AuthVerifier.verifyServiceJwt`), in the reference's order, every failure a 401:
///
/// 1. three base64url parts with a JSON header (string `alg`) and payload (string `iss`, `aud`, numeric `exp`):
///    else `BadJwt`;
/// 2. `typ` is not `at+jwt`, `refresh+jwt` or `dpop+jwt` (session and DPoP tokens are never service tokens):
///    else `BadJwtType`;
/// 3. not expired: else `JwtExpired`;
/// 4. `aud` is this server's service DID: else `BadJwtAudience`;
/// 5. `lxm` is the method called: else `BadJwtLexiconMethod`;
/// 6. `iss` is a DID or `did#service`: else `BadJwtIss`;
/// 7. the signature (`ES256K` or `ES256`; high-S accepted, as the reference) verifies with the issuer's
///    `#atproto` key (`#atproto_label` for `did#atproto_labeler`) from its DID document; when it does not, the
///    document is resolved again once (the key may have been rotated): else `BadJwtSignature`;
/// 8. its `jti` was not used before (remembered until the token expires): else `BadJwt` "jwt replayed".
///
/// An issuer whose DID cannot be resolved is 401 `AuthenticationRequired` "could not resolve iss did" (or 502
/// `UpstreamFailure` when its directory or host is unreachable); a document without a usable key is 401
/// `AuthenticationRequired` "missing or bad key in did doc". A token without `jti` (older implementations) is
/// accepted without the replay check.
public final class ServiceAuthVerifier: Sendable {
    /// The `aud` every token must name.
    public let serviceDID: String
    let resolver: DIDResolver
    let replays: JTIReplayCache

    /// - Parameter replayCapacity: most `jti`s remembered at once.
    public init(serviceDID: String, resolver: DIDResolver, replayCapacity: Int = 100_000) {
        self.serviceDID = serviceDID
        self.resolver = resolver
        self.replays = JTIReplayCache(capacity: replayCapacity)
    }

    /// Verifies `token` for a call of `lxm` (nil skips the method check) and returns its claims.
    public func verify(_ token: String, lxm: String?, now: Date = Date()) async throws(XRPCError) -> ServiceJWT.Claims {
        let parsed = try ServiceJWT.parse(token)
        let claims = parsed.claims
        let nowSeconds = now.timeIntervalSince1970
        if nowSeconds > Double(claims.exp) {
            throw Self.error("JwtExpired", "jwt expired")
        }
        guard claims.aud == serviceDID else {
            throw Self.error("BadJwtAudience", "jwt audience does not match service did")
        }
        if let lxm, claims.lxm != lxm {
            throw Self.error(
                "BadJwtLexiconMethod",
                claims.lxm != nil
                    ? "bad jwt lexicon method (\"lxm\"). must match: \(lxm)"
                    : "missing jwt lexicon method (\"lxm\"). must match: \(lxm)")
        }
        guard Self.isValidIssuer(claims.iss) else {
            throw Self.error("BadJwtIss", "jwt iss is not a valid did")
        }
        guard let curve = Curve(jwtAlgorithm: parsed.alg), let signature = parsed.signature, signature.count == 64
        else { throw Self.error("BadJwtSignature", "could not verify jwt signature") }

        let key = try await signingKey(issuer: claims, forceRefresh: false)
        var valid = key.curve == curve && key.verify(signature: signature, message: parsed.signingInput, allowHighS: true)
        if !valid {
            let fresh = try await signingKey(issuer: claims, forceRefresh: true)
            valid =
                fresh != key && fresh.curve == curve
                && fresh.verify(signature: signature, message: parsed.signingInput, allowHighS: true)
        }
        guard valid else {
            throw Self.error("BadJwtSignature", "jwt signature does not match jwt issuer")
        }
        if let jti = claims.jti {
            guard replays.use(claims.iss + " " + jti, expiry: claims.exp, now: Int64(nowSeconds.rounded(.down))) else {
                throw Self.error("BadJwt", "jwt replayed: its jti was already used")
            }
        }
        return claims
    }

    /// The issuer's signing key from its DID document.
    private func signingKey(issuer claims: ServiceJWT.Claims, forceRefresh: Bool) async throws(XRPCError) -> PublicKey {
        let did = claims.issuerDID
        let keyID = claims.issuerService == "atproto_labeler" ? "atproto_label" : "atproto"
        let document: DIDDocument
        do {
            document = try await resolver.resolve(did, forceRefresh: forceRefresh)
        } catch {
            switch error {
            case .unavailable(let detail):
                throw XRPCError.upstreamFailure("could not resolve iss did: \(detail)")
            case .notFound, .unsupported:
                throw XRPCError.authenticationRequired("could not resolve iss did")
            }
        }
        guard let key = Self.key(keyID, in: document) else {
            throw XRPCError.authenticationRequired("missing or bad key in did doc")
        }
        return key
    }

    /// The public key of the verification method `#<keyID>`: `Multikey`, or the legacy secp256k1/secp256r1
    /// 2019 types.
    static func key(_ keyID: String, in document: DIDDocument) -> PublicKey? {
        guard
            let method = document.verificationMethod.first(where: {
                $0.id == "#\(keyID)" || $0.id == "\(document.id)#\(keyID)"
            }), let multibase = method.publicKeyMultibase
        else { return nil }
        switch method.type {
        case "Multikey": return try? PublicKey(multikey: multibase)
        case "EcdsaSecp256k1VerificationKey2019": return try? PublicKey(legacyMultibase: multibase, curve: .k256)
        case "EcdsaSecp256r1VerificationKey2019": return try? PublicKey(legacyMultibase: multibase, curve: .p256)
        default: return nil
        }
    }

    /// A DID, or a DID and a non-empty fragment without another `#` (the reference's `isDidStringOrService`).
    static func isValidIssuer(_ iss: String) -> Bool {
        guard let hash = iss.firstIndex(of: "#") else { return DID.isValid(iss) }
        let fragment = iss[iss.index(after: hash)...]
        return !fragment.isEmpty && !fragment.contains("#") && DID.isValid(String(iss[..<hash]))
    }

    static func error(_ code: String, _ message: String) -> XRPCError {
        XRPCError.authenticationRequired(message, code: XRPCError.Code(rawValue: code))
    }
}
