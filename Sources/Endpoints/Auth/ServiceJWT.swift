import ATProto
import Foundation

/// Inter-service JWTs (PDS-REFERENCE §2.5; the reference's `xrpc-server/src/auth.ts`): a user's request to
/// another service, signed with the user's repo signing key.
///
/// Header `{"typ":"JWT","alg":"ES256K"}` (`ES256` for a P-256 key); claims `{iat, iss, aud, exp, lxm?, jti}`,
/// `jti` 16 random bytes in hex; signature: the key over the UTF-8 bytes of `b64url(header).b64url(payload)`
/// (SHA-256, compact 64-byte `r || s`, low-S), base64url.
///
/// ``parse(_:)`` reads a token without checking its signature; ``ServiceAuthVerifier`` does the rest.
public enum ServiceJWT {
    /// The claims of a service token.
    public struct Claims: Sendable, Hashable {
        /// The issuer: a DID, or `did#service` (a labeler is `did#atproto_labeler`).
        public var iss: String
        /// The service the token is for: a DID or `did#service`.
        public var aud: String
        /// Expiry, seconds since the epoch.
        public var exp: Int64
        /// Issued at, seconds since the epoch (absent in some other implementations' tokens).
        public var iat: Int64?
        /// The one XRPC method (NSID) the token may call; nil allows any.
        public var lxm: String?
        /// A unique id, against replays.
        public var jti: String?

        /// The issuer's DID (``iss`` without a `#service` fragment).
        public var issuerDID: String {
            iss.firstIndex(of: "#").map { String(iss[..<$0]) } ?? iss
        }

        /// The fragment of ``iss`` after `#`, if any.
        public var issuerService: String? {
            iss.firstIndex(of: "#").map { String(iss[iss.index(after: $0)...]) }
        }
    }

    /// A token split into its parts, its signature not yet checked.
    struct Parsed: Sendable {
        var alg: String
        var typ: String?
        var claims: Claims
        /// `b64url(header).b64url(payload)` as UTF-8: what the signature covers.
        var signingInput: [UInt8]
        var signature: [UInt8]?
    }

    /// Tokens live 60 seconds unless the caller asks for another expiry.
    public static let defaultLifetimeSeconds: Int64 = 60

    // MARK: Minting

    /// A token from `iss` for `aud`, signed with `key`: expiry `exp` (default: 60 seconds from `now`), `lxm` when
    /// given, a fresh `jti`.
    public static func mint(
        iss: String, aud: String, lxm: String?, exp: Int64? = nil, key: any SigningKey, now: Date = Date()
    ) throws(CryptoError) -> (token: String, claims: Claims) {
        let iat = Int64(now.timeIntervalSince1970)
        let claims = Claims(
            iss: iss, aud: aud, exp: exp ?? iat + defaultLifetimeSeconds, iat: iat, lxm: lxm, jti: newTokenID())
        return (try sign(claims, key: key), claims)
    }

    /// Signs `claims` with `key` (tests also use it to make tokens with chosen claims).
    static func sign(_ claims: Claims, key: any SigningKey) throws(CryptoError) -> String {
        let header = "{\"typ\":\"JWT\",\"alg\":\"\(key.curve.jwtAlgorithm)\"}"
        var payload = "{"
        if let iat = claims.iat { payload += "\"iat\":\(iat)," }
        payload += "\"iss\":\(SessionJWT.jsonString(claims.iss)),\"aud\":\(SessionJWT.jsonString(claims.aud)),"
        payload += "\"exp\":\(claims.exp)"
        if let lxm = claims.lxm { payload += ",\"lxm\":\(SessionJWT.jsonString(lxm))" }
        if let jti = claims.jti { payload += ",\"jti\":\(SessionJWT.jsonString(jti))" }
        payload += "}"
        return try sign(header: header, payload: payload, key: key)
    }

    /// Signs arbitrary header and payload JSON texts (tests use it to forge malformed tokens).
    static func sign(header: String, payload: String, key: any SigningKey) throws(CryptoError) -> String {
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        return signingInput + "." + Base64URL.encode(try key.sign(Array(signingInput.utf8)))
    }

    /// 16 random bytes in lower-case hex, as the reference's `randomStr(16, 'hex')`.
    static func newTokenID() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for _ in 0..<16 {
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Parsing

    /// Header types that are never service tokens: OAuth access tokens (RFC 9068), the reference's refresh
    /// tokens, DPoP proofs.
    static let forbiddenTypes: Set<String> = ["at+jwt", "refresh+jwt", "dpop+jwt"]

    /// Splits and decodes `token`, in the reference's order. Errors, all 401: `BadJwt` (not three parts, a header
    /// that is not base64url JSON with a string `alg`), `BadJwtType` (a forbidden `typ`), `BadJwt` again (a payload
    /// that is not base64url JSON with string `iss` and `aud`, numeric `exp`, string or no `lxm`).
    static func parse(_ token: String) throws(XRPCError) -> Parsed {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw badJwt }
        guard let headerBytes = Base64URL.decode(parts[0]),
            let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes)), let alg = header.alg
        else { throw badJwt }
        if let typ = header.typ, forbiddenTypes.contains(typ) {
            throw XRPCError.authenticationRequired("Invalid jwt type \"\(typ)\"", code: "BadJwtType")
        }
        guard let payloadBytes = Base64URL.decode(parts[1]),
            let payload = try? JSONDecoder().decode(Payload.self, from: Data(payloadBytes))
        else { throw badJwt }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        let claims = Claims(
            iss: payload.iss, aud: payload.aud, exp: Int64(payload.exp.rounded(.up)), iat: payload.iat.map { Int64($0) },
            lxm: payload.lxm, jti: payload.jti)
        return Parsed(
            alg: alg, typ: header.typ, claims: claims, signingInput: signingInput, signature: Base64URL.decode(parts[2]))
    }

    static let badJwt = XRPCError.authenticationRequired("poorly formatted jwt", code: "BadJwt")

    /// The header members a verifier reads; `typ` of the wrong type reads as absent.
    private struct Header: Decodable {
        var alg: String?
        var typ: String?

        enum CodingKeys: String, CodingKey { case alg, typ }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            alg = try? container.decodeIfPresent(String.self, forKey: .alg)
            typ = try? container.decodeIfPresent(String.self, forKey: .typ)
        }
    }

    /// The claims as the reference's `parsePayload` requires them.
    private struct Payload: Decodable {
        var iss: String
        var aud: String
        var exp: Double
        var iat: Double?
        var lxm: String?
        var jti: String?

        enum CodingKeys: String, CodingKey { case iss, aud, exp, iat, lxm, jti }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            iss = try container.decode(String.self, forKey: .iss)
            aud = try container.decode(String.self, forKey: .aud)
            exp = try container.decode(Double.self, forKey: .exp)
            guard exp.isFinite, abs(exp) < 1e15 else {
                throw DecodingError.dataCorruptedError(forKey: .exp, in: container, debugDescription: "exp out of range")
            }
            iat = (try? container.decodeIfPresent(Double.self, forKey: .iat)).flatMap { $0 }.flatMap {
                $0.isFinite && abs($0) < 1e15 ? $0 : nil
            }
            lxm = try container.decodeIfPresent(String.self, forKey: .lxm)
            jti = (try? container.decodeIfPresent(String.self, forKey: .jti)).flatMap { $0 }
        }
    }
}

/// atproto's DID rules for service-auth audiences and issuers (the reference's `@atproto/did`).
public enum AtprotoDID {
    /// A `did:plc` (24 base32 characters) or a `did:web` without a path, with a port only for localhost.
    public static func isValid(_ did: String) -> Bool {
        if did.hasPrefix("did:plc:") {
            let id = did.utf8.dropFirst("did:plc:".count)
            return id.count == 24 && id.allSatisfy { (0x61...0x7A).contains($0) || (0x32...0x37).contains($0) }
        }
        guard did.hasPrefix("did:web:"), DID.isValid(did) else { return false }
        let host = did.dropFirst("did:web:".count)
        if host.contains(":") { return false }
        let isLocalhost = host == "localhost" || host.hasPrefix("localhost%3A")
        return isLocalhost || !host.contains("%3A")
    }

    /// An atproto DID followed by `#` and a non-empty fragment without another `#`.
    public static func isValidReference(_ value: String) -> Bool {
        guard let hash = value.firstIndex(of: "#") else { return false }
        let fragment = value[value.index(after: hash)...]
        return !fragment.isEmpty && !fragment.contains("#") && isValid(String(value[..<hash]))
    }
}
