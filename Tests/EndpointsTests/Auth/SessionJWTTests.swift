import Foundation
import Testing

@testable import Endpoints

@Suite struct SessionJWTTests {
    let jwt = SessionJWT(secret: Array("secret".utf8), serviceDID: "did:web:pds.example.com")
    let did = "did:plc:abcdefghijklmnopqrstuvwx"
    let standard: Set<AuthScope> = [.access, .appPass, .appPassPrivileged]

    func expectError(_ code: String, _ message: String, _ body: () throws(XRPCError) -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected \(code)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code.rawValue == code, sourceLocation: sourceLocation)
            #expect(error.message == message, sourceLocation: sourceLocation)
            #expect(error.status.code == (code == "MissingTokenId" ? 401 : 400), sourceLocation: sourceLocation)
        }
    }

    func parts(_ token: String) -> (header: String, payload: String) {
        let pieces = token.split(separator: ".")
        return (
            String(decoding: Base64URL.decode(pieces[0]) ?? [], as: UTF8.self),
            String(decoding: Base64URL.decode(pieces[1]) ?? [], as: UTF8.self)
        )
    }

    @Test func accessTokenShapeAndRoundTrip() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let (token, claims) = jwt.accessToken(did: did, scope: .access, now: now)
        let (header, payload) = parts(token)
        #expect(header == #"{"typ":"at+jwt","alg":"HS256"}"#)
        #expect(payload == #"{"scope":"com.atproto.access","aud":"did:web:pds.example.com","sub":"\#(did)","iat":1800000000,"exp":1800007200}"#)
        let verified = try jwt.verify(token, type: .access, allowedScopes: standard, now: now)
        #expect(verified == claims)
        #expect(verified.exp - verified.iat == 7200)
    }

    @Test func refreshTokenShapeAndRoundTrip() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let (token, claims) = jwt.refreshToken(did: did, now: now)
        let (header, payload) = parts(token)
        #expect(header == #"{"typ":"refresh+jwt","alg":"HS256"}"#)
        #expect(payload.contains(#""scope":"com.atproto.refresh""#))
        let jti = try #require(claims.jti)
        #expect(Data(base64Encoded: jti)?.count == 32)
        #expect(claims.exp - claims.iat == 90 * 86_400)
        #expect(try jwt.verify(token, type: .refresh, allowedScopes: [.refresh], now: now) == claims)
        #expect(jwt.refreshToken(did: did).claims.jti != jti)
    }

    @Test func forgedSignatureIsRefused() {
        let other = SessionJWT(secret: Array("another secret".utf8), serviceDID: "did:web:pds.example.com")
        let forged = other.accessToken(did: did, scope: .access).jwt
        expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
            _ = try jwt.verify(forged, type: .access, allowedScopes: standard)
        }
        // A valid token with one flipped signature character.
        let token = jwt.accessToken(did: did, scope: .access).jwt
        var bytes = Array(token.utf8)
        bytes[bytes.count - 2] = bytes[bytes.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
            _ = try jwt.verify(String(decoding: bytes, as: UTF8.self), type: .access, allowedScopes: standard)
        }
        // A changed payload with the original signature.
        let pieces = token.split(separator: ".")
        let payload = Base64URL.encode(Array(#"{"scope":"com.atproto.access","aud":"did:web:pds.example.com","sub":"did:plc:evil","iat":1,"exp":99999999999}"#.utf8))
        expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
            _ = try jwt.verify("\(pieces[0]).\(payload).\(pieces[2])", type: .access, allowedScopes: standard)
        }
    }

    @Test func algorithmNoneAndOtherAlgorithmsAreRefused() {
        let payload = #"{"scope":"com.atproto.access","aud":"did:web:pds.example.com","sub":"\#(did)","iat":1,"exp":99999999999}"#
        let none = Base64URL.encode(Array(#"{"typ":"at+jwt","alg":"none"}"#.utf8)) + "." + Base64URL.encode(Array(payload.utf8)) + "."
        for token in [none, none + "c2ln"] {
            expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
                _ = try jwt.verify(token, type: .access, allowedScopes: standard)
            }
        }
        for alg in ["HS512", "ES256K", "RS256", "hs256"] {
            let token = jwt.sign(header: #"{"typ":"at+jwt","alg":"\#(alg)"}"#, payload: payload)
            expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
                _ = try jwt.verify(token, type: .access, allowedScopes: standard)
            }
        }
        // The same token with alg HS256 is fine, so the refusals above are about the algorithm.
        let good = jwt.sign(header: #"{"typ":"at+jwt","alg":"HS256"}"#, payload: payload)
        #expect((try? jwt.verify(good, type: .access, allowedScopes: standard)) != nil)
    }

    @Test func wrongTypeIsRefused() {
        let refresh = jwt.refreshToken(did: did).jwt
        expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
            _ = try jwt.verify(refresh, type: .access, allowedScopes: standard.union([.refresh]))
        }
        let access = jwt.accessToken(did: did, scope: .access).jwt
        expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
            _ = try jwt.verify(access, type: .refresh, allowedScopes: [.refresh, .access])
        }
        let untyped = jwt.sign(
            header: #"{"alg":"HS256"}"#,
            payload: #"{"scope":"com.atproto.access","aud":"did:web:pds.example.com","sub":"\#(did)","iat":1,"exp":99999999999}"#)
        expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
            _ = try jwt.verify(untyped, type: .access, allowedScopes: standard)
        }
    }

    @Test func aTokenThatVerifiedOnceIsCheckedAgainEveryTime() throws {
        let issued = Date(timeIntervalSince1970: 1_800_000_000)
        let token = jwt.accessToken(did: did, scope: .appPass, now: issued).jwt
        // The first verification remembers the decoded token...
        #expect(try jwt.verify(token, type: .access, allowedScopes: standard, now: issued).sub == did)
        #expect(try jwt.verify(token, type: .access, allowedScopes: standard, now: issued).scope == .appPass)
        // ...but type, scope and expiry are checked on each use.
        expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
            _ = try jwt.verify(token, type: .refresh, allowedScopes: [.refresh, .appPass])
        }
        expectError("InvalidToken", "Bad token scope") { () throws(XRPCError) in
            _ = try jwt.verify(token, type: .access, allowedScopes: [.access], now: issued)
        }
        expectError("ExpiredToken", "Token has expired") { () throws(XRPCError) in
            _ = try jwt.verify(token, type: .access, allowedScopes: standard, now: issued.addingTimeInterval(7200))
        }
        // The same header and claims with another signature are not the remembered token.
        var tampered = Array(token)
        tampered[tampered.count - 2] = tampered[tampered.count - 2] == "A" ? "B" : "A"
        expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
            _ = try jwt.verify(String(tampered), type: .access, allowedScopes: standard, now: issued)
        }
        // Another server's secret never shares the memory.
        let other = SessionJWT(secret: Array("other".utf8), serviceDID: "did:web:pds.example.com")
        expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
            _ = try other.verify(token, type: .access, allowedScopes: standard, now: issued)
        }
    }

    @Test func expiredTokens() throws {
        let issued = Date(timeIntervalSince1970: 1_800_000_000)
        let token = jwt.accessToken(did: did, scope: .access, now: issued).jwt
        let atExpiry = issued.addingTimeInterval(7200)
        expectError("ExpiredToken", "Token has expired") { () throws(XRPCError) in
            _ = try jwt.verify(token, type: .access, allowedScopes: standard, now: atExpiry)
        }
        #expect((try? jwt.verify(token, type: .access, allowedScopes: standard, now: atExpiry.addingTimeInterval(-1))) != nil)
        #expect((try? jwt.verify(token, type: .access, allowedScopes: standard, allowExpired: true, now: atExpiry)) != nil)
        // An expired forgery is still a forgery.
        let other = SessionJWT(secret: Array("x".utf8), serviceDID: "did:web:pds.example.com")
        let forged = other.accessToken(did: did, scope: .access, now: issued).jwt
        expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
            _ = try jwt.verify(forged, type: .access, allowedScopes: standard, now: atExpiry)
        }
    }

    @Test func scopeAudienceAndSubjectChecks() {
        let appPass = jwt.accessToken(did: did, scope: .appPass).jwt
        expectError("InvalidToken", "Bad token scope") { () throws(XRPCError) in
            _ = try jwt.verify(appPass, type: .access, allowedScopes: [.access])
        }
        let takendown = jwt.accessToken(did: did, scope: .takendown).jwt
        expectError("InvalidToken", "Bad token scope") { () throws(XRPCError) in
            _ = try jwt.verify(takendown, type: .access, allowedScopes: standard)
        }
        let otherAudience = SessionJWT(secret: Array("secret".utf8), serviceDID: "did:web:other.example.com")
        expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
            _ = try jwt.verify(otherAudience.accessToken(did: did, scope: .access).jwt, type: .access, allowedScopes: standard)
        }
        let cases = [
            #"{"scope":"com.atproto.access","aud":"did:web:pds.example.com","sub":"alice","iat":1,"exp":99999999999}"#,
            #"{"scope":"com.atproto.access","aud":"did:web:pds.example.com","iat":1,"exp":99999999999}"#,
            #"{"scope":"com.atproto.access","aud":"did:web:pds.example.com","sub":"\#(did)","iat":1}"#,
            #"{"scope":"com.atproto.access","aud":"did:web:pds.example.com","sub":"\#(did)","iat":1,"exp":"99999999999"}"#,
            #"{"scope":"com.atproto.access","aud":"did:web:pds.example.com","sub":"\#(did)","iat":1,"exp":99999999999,"lxm":"com.atproto.server.getSession"}"#,
            #"{"scope":"com.atproto.access","aud":"did:web:pds.example.com","sub":"\#(did)","iat":1,"exp":99999999999,"cnf":{"jkt":"x"}}"#,
        ]
        for payload in cases {
            let token = jwt.sign(header: #"{"typ":"at+jwt","alg":"HS256"}"#, payload: payload)
            expectError("InvalidToken", "Malformed token") { () throws(XRPCError) in
                _ = try jwt.verify(token, type: .access, allowedScopes: standard)
            }
        }
        let unknownScope = jwt.sign(
            header: #"{"typ":"at+jwt","alg":"HS256"}"#,
            payload: #"{"scope":"atproto","aud":"did:web:pds.example.com","sub":"\#(did)","iat":1,"exp":99999999999}"#)
        expectError("InvalidToken", "Bad token scope") { () throws(XRPCError) in
            _ = try jwt.verify(unknownScope, type: .access, allowedScopes: standard)
        }
        let noJTI = jwt.sign(
            header: #"{"typ":"refresh+jwt","alg":"HS256"}"#,
            payload: #"{"scope":"com.atproto.refresh","aud":"did:web:pds.example.com","sub":"\#(did)","iat":1,"exp":99999999999}"#)
        expectError("MissingTokenId", "Unexpected missing refresh token id") { () throws(XRPCError) in
            _ = try jwt.verify(noJTI, type: .refresh, allowedScopes: [.refresh])
        }
    }

    @Test func malformedTokens() {
        let valid = jwt.accessToken(did: did, scope: .access).jwt
        let pieces = valid.split(separator: ".").map(String.init)
        let cases = [
            "", "abc", "a.b", "\(pieces[0]).\(pieces[1])", "\(valid).x", "\(pieces[0])=.\(pieces[1]).\(pieces[2])",
            "\(pieces[0]).\(pieces[1]).\(pieces[2])=", "!!!.\(pieces[1]).\(pieces[2])",
            "\(Base64URL.encode(Array("not json".utf8))).\(pieces[1]).\(pieces[2])",
            "\(Base64URL.encode(Array("[1]".utf8))).\(pieces[1]).\(pieces[2])",
        ]
        for token in cases {
            expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
                _ = try jwt.verify(token, type: .access, allowedScopes: standard)
            }
        }
        let badPayload = jwt.sign(header: #"{"typ":"at+jwt","alg":"HS256"}"#, payload: "not json")
        expectError("InvalidToken", "Token could not be verified") { () throws(XRPCError) in
            _ = try jwt.verify(badPayload, type: .access, allowedScopes: standard)
        }
    }

    @Test func base64URLIsStrict() {
        #expect(Base64URL.encode([]) == "")
        #expect(Base64URL.encode(Array("f".utf8)) == "Zg")
        #expect(Base64URL.encode(Array("fo".utf8)) == "Zm8")
        #expect(Base64URL.encode(Array("foo".utf8)) == "Zm9v")
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
        #expect(Base64URL.decode("Zg") == Array("f".utf8))
        #expect(Base64URL.decode("Zm8") == Array("fo".utf8))
        #expect(Base64URL.decode("Zh") == nil)  // non-zero trailing bits
        #expect(Base64URL.decode("Zg==") == nil)
        #expect(Base64URL.decode("Z") == nil)
        #expect(Base64URL.decode("Zm9v+g") == nil)
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }
}
