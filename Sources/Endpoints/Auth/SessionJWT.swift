import Crypto
import Foundation
import Synchronization

/// The legacy session tokens of the reference PDS: HS256 JWTs keyed with the server's JWT secret.
///
/// Access tokens have the header `{"typ":"at+jwt","alg":"HS256"}` and live 120 minutes; refresh tokens
/// `{"typ":"refresh+jwt","alg":"HS256"}`, carry a `jti` and live 90 days. Claims: `scope`, `aud` (the service
/// DID), `sub` (the account DID), `iat`, `exp` (seconds) and, for refresh tokens, `jti`.
///
/// Verification accepts only HS256 with a valid signature (compared in constant time) and the expected `typ`
/// and `aud`; every failure is 400 `InvalidToken` "Token could not be verified", except an expired token,
/// which is 400 `ExpiredToken` "Token has expired" (clients refresh on exactly that error).
public struct SessionJWT: Sendable {
    /// The `typ` header of each kind of token.
    public enum TokenType: String, Sendable {
        case access = "at+jwt"
        case refresh = "refresh+jwt"
    }

    /// The claims of a verified or issued token.
    public struct Claims: Sendable, Hashable {
        public var scope: AuthScope
        public var sub: String
        public var aud: String
        public var iat: Int64
        public var exp: Int64
        public var jti: String?
    }

    /// Access tokens live 120 minutes.
    public static let accessLifetimeSeconds: Int64 = 120 * 60
    /// Refresh tokens live 90 days.
    public static let refreshLifetimeSeconds: Int64 = 90 * 24 * 3600

    private let key: SymmetricKey
    /// The `aud` of every token: this server's service DID.
    public let serviceDID: String
    /// Header and claims of tokens whose signature was checked, by token text: a client sends the same access token
    /// with every request for two hours, and decoding its JSON was most of the cost of verifying it. The text
    /// includes the signature, so only the exact token that verified can hit; every other check (type, audience,
    /// expiry, scope) still runs each time.
    private let verified = VerifiedTokens()

    public init(secret: [UInt8], serviceDID: String) {
        self.key = SymmetricKey(data: secret)
        self.serviceDID = serviceDID
    }

    /// Decoded tokens with a valid signature, bounded (starts over when full).
    private final class VerifiedTokens: Sendable {
        static let capacity = 4096
        private let tokens = Mutex<[String: (header: Fields, payload: Fields?)]>([:])

        func get(_ token: String) -> (header: Fields, payload: Fields?)? {
            tokens.withLock { $0[token] }
        }

        func put(_ token: String, _ decoded: (header: Fields, payload: Fields?)) {
            tokens.withLock { tokens in
                if tokens.count >= Self.capacity { tokens.removeAll(keepingCapacity: true) }
                tokens[token] = decoded
            }
        }
    }

    // MARK: Issuing

    /// An access token for `did` with `scope`.
    public func accessToken(did: String, scope: AuthScope, now: Date = Date()) -> (jwt: String, claims: Claims) {
        let iat = Int64(now.timeIntervalSince1970)
        let claims = Claims(scope: scope, sub: did, aud: serviceDID, iat: iat, exp: iat + Self.accessLifetimeSeconds, jti: nil)
        return (sign(claims, type: .access), claims)
    }

    /// A refresh token for `did` with the token id `jti` (a new random id when nil).
    public func refreshToken(did: String, jti: String? = nil, now: Date = Date()) -> (jwt: String, claims: Claims) {
        let iat = Int64(now.timeIntervalSince1970)
        let claims = Claims(
            scope: .refresh, sub: did, aud: serviceDID, iat: iat, exp: iat + Self.refreshLifetimeSeconds,
            jti: jti ?? Self.newTokenID())
        return (sign(claims, type: .refresh), claims)
    }

    /// A new refresh token id: standard base64 of 32 random bytes, as the reference.
    public static func newTokenID() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
    }

    /// Signs `claims` as a token of `type`.
    public func sign(_ claims: Claims, type: TokenType) -> String {
        var payload = "{\"scope\":\(Self.jsonString(claims.scope.rawValue)),\"aud\":\(Self.jsonString(claims.aud)),"
        payload += "\"sub\":\(Self.jsonString(claims.sub)),"
        if let jti = claims.jti { payload += "\"jti\":\(Self.jsonString(jti)),"}
        payload += "\"iat\":\(claims.iat),\"exp\":\(claims.exp)}"
        return sign(header: "{\"typ\":\"\(type.rawValue)\",\"alg\":\"HS256\"}", payload: payload)
    }

    /// Signs arbitrary header and payload JSON texts (tests use it to forge malformed tokens).
    func sign(header: String, payload: String) -> String {
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: key)
        return signingInput + "." + Base64URL.encode(Array(mac))
    }

    // MARK: Verifying

    /// Verifies `token` as a token of `type` and returns its claims.
    ///
    /// - Parameters:
    ///   - allowedScopes: scopes the caller accepts; any other gives 400 `InvalidToken` "Bad token scope".
    ///   - allowExpired: accept an expired but otherwise valid token (deleteSession does).
    public func verify(
        _ token: String,
        type: TokenType,
        allowedScopes: Set<AuthScope>,
        allowExpired: Bool = false,
        now: Date = Date()
    ) throws(XRPCError) -> Claims {
        let decoded: (header: Fields, payload: Fields?)
        if let known = verified.get(token) {
            decoded = known
        } else {
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3,
                let headerBytes = Base64URL.decode(parts[0]),
                let header = Self.fields(headerBytes),
                let signature = Base64URL.decode(parts[2])
            else { throw Self.unverifiable }
            // Only HS256: `none`, other HMAC sizes and asymmetric algorithms are refused before anything else.
            guard header.alg == "HS256" else { throw Self.unverifiable }
            let signingInput = token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count)
            guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Array(signingInput), using: key) else {
                throw Self.unverifiable
            }
            decoded = (header, Base64URL.decode(parts[1]).flatMap(Self.fields))
            verified.put(token, decoded)
        }
        let header = decoded.header
        guard header.typ == type.rawValue else { throw Self.unverifiable }
        guard let payload = decoded.payload else { throw Self.unverifiable }
        guard payload.aud == serviceDID else { throw Self.unverifiable }
        guard let exp = payload.exp else { throw Self.malformed }
        if !allowExpired, exp <= Int64(now.timeIntervalSince1970) {
            throw XRPCError.expiredToken()
        }
        guard let sub = payload.sub, sub.hasPrefix("did:") else { throw Self.malformed }
        // Service-auth (`lxm`) and DPoP-bound (`cnf`) claims never belong in a session token.
        guard !payload.hasLXM, !payload.hasCNF else { throw Self.malformed }
        guard let scopeText = payload.scope, let scope = AuthScope(rawValue: scopeText),
            allowedScopes.contains(scope)
        else { throw XRPCError.invalidToken("Bad token scope") }
        let jti = payload.jti
        if type == .refresh, jti == nil || jti?.isEmpty == true {
            throw XRPCError(.init(rawValue: "MissingTokenId"), message: "Unexpected missing refresh token id", status: .unauthorized)
        }
        return Claims(scope: scope, sub: sub, aud: serviceDID, iat: payload.iat ?? 0, exp: exp, jti: jti)
    }

    static let unverifiable = XRPCError.invalidToken("Token could not be verified")
    static let malformed = XRPCError.invalidToken("Malformed token")

    // MARK: JSON helpers

    /// The header and claims a verifier reads; a member of the wrong JSON type reads as absent.
    private struct Fields: Decodable {
        var alg: String?
        var typ: String?
        var scope: String?
        var sub: String?
        var aud: String?
        var iat: Int64?
        var exp: Int64?
        var jti: String?
        var hasLXM = false
        var hasCNF = false

        enum CodingKeys: String, CodingKey {
            case alg, typ, scope, sub, aud, iat, exp, jti, lxm, cnf
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            alg = try? container.decodeIfPresent(String.self, forKey: .alg)
            typ = try? container.decodeIfPresent(String.self, forKey: .typ)
            scope = try? container.decodeIfPresent(String.self, forKey: .scope)
            sub = try? container.decodeIfPresent(String.self, forKey: .sub)
            aud = try? container.decodeIfPresent(String.self, forKey: .aud)
            iat = try? container.decodeIfPresent(Int64.self, forKey: .iat)
            exp = try? container.decodeIfPresent(Int64.self, forKey: .exp)
            jti = try? container.decodeIfPresent(String.self, forKey: .jti)
            hasLXM = container.contains(.lxm)
            hasCNF = container.contains(.cnf)
        }
    }

    private static func fields(_ bytes: [UInt8]) -> Fields? {
        try? JSONDecoder().decode(Fields.self, from: Data(bytes))
    }

    static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
