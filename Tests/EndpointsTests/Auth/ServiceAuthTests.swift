import ATProto
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Synchronization
import Testing

import PDSTestSupport

@testable import Endpoints

/// An issuer of service tokens whose DID document the ``TestPLCDirectory`` serves.
struct TestIssuer {
    let did: String
    let rotationKey: K256PrivateKey
    var signingKey: any SigningKey

    /// Registers a new did:plc with `signingKey` as `#atproto` (and `extraMethods`) in the harness's directory.
    static func register(
        in harness: AccountsHarness, signingKey: any SigningKey = K256PrivateKey(), extraMethods: [String: String] = [:]
    ) async throws -> TestIssuer {
        let rotationKey = K256PrivateKey()
        var methods = extraMethods
        methods["atproto"] = signingKey.publicKey.didKey
        let genesis = try PLCOperation(
            rotationKeys: [rotationKey.publicKey.didKey], verificationMethods: methods,
            alsoKnownAs: ["at://issuer.example.org"],
            services: ["atproto_pds": PLCService(type: PLCService.atprotoPDSType, endpoint: "https://old.example.org")],
            prev: nil
        ).signed(with: rotationKey)
        let did = PLC.did(forGenesis: genesis)
        try await harness.services.plc.submit(did: did, operation: genesis)
        return TestIssuer(did: did, rotationKey: rotationKey, signingKey: signingKey)
    }

    /// Points the DID's `#atproto` at a new key in the directory.
    mutating func rotate(in harness: AccountsHarness, to key: any SigningKey) async throws {
        let last = try #require(harness.plc.operations(did: did).last)
        var next = last.operation
        next.verificationMethods["atproto"] = key.publicKey.didKey
        next.prev = last.cid().string
        try await harness.services.plc.submit(did: did, operation: try next.signed(with: rotationKey))
        signingKey = key
    }

    /// A token from this issuer (claims as given; a fresh jti unless `jti` is passed explicitly as nil).
    func token(
        aud: String, lxm: String?, exp: Int64? = nil, jti: String?? = .none, iss: String? = nil,
        key: (any SigningKey)? = nil
    ) throws -> String {
        let now = Int64(Date().timeIntervalSince1970)
        let claims = ServiceJWT.Claims(
            iss: iss ?? did, aud: aud, exp: exp ?? now + 60, iat: now, lxm: lxm,
            jti: jti ?? ServiceJWT.newTokenID())
        return try ServiceJWT.sign(claims, key: key ?? signingKey)
    }
}

@Suite("inter-service JWTs")
struct ServiceAuthTests {
    static let method = "com.atproto.server.createAccount"

    /// The `error` code a verification threw, or nil when it passed.
    static func code(_ body: () async throws -> ServiceJWT.Claims) async -> String? {
        do {
            _ = try await body()
            return nil
        } catch let error as XRPCError {
            return error.code.rawValue
        } catch {
            return "\(error)"
        }
    }

    @Test("a valid token verifies; wrong audience, method, expiry and issuer are refused with the reference's codes")
    func claimsChecks() async throws {
        try await AccountsHarness.with { harness in
            let verifier = harness.services.serviceAuth
            let aud = harness.settings.serviceDID
            let issuer = try await TestIssuer.register(in: harness)
            let claims = try await verifier.verify(try issuer.token(aud: aud, lxm: Self.method), lxm: Self.method)
            #expect(claims.iss == issuer.did)
            #expect(claims.aud == aud)
            #expect(claims.lxm == Self.method)
            #expect(claims.jti?.count == 32)

            let now = Int64(Date().timeIntervalSince1970)
            let expired = try issuer.token(aud: aud, lxm: Self.method, exp: now - 5)
            #expect(await Self.code { try await verifier.verify(expired, lxm: Self.method) } == "JwtExpired")
            let wrongAud = try issuer.token(aud: "did:web:other.example.com", lxm: Self.method)
            #expect(await Self.code { try await verifier.verify(wrongAud, lxm: Self.method) } == "BadJwtAudience")
            let serviceAud = try issuer.token(aud: aud + "#atproto_pds", lxm: Self.method)
            #expect(await Self.code { try await verifier.verify(serviceAud, lxm: Self.method) } == "BadJwtAudience")
            let wrongLxm = try issuer.token(aud: aud, lxm: "com.atproto.repo.uploadBlob")
            #expect(await Self.code { try await verifier.verify(wrongLxm, lxm: Self.method) } == "BadJwtLexiconMethod")
            let noLxm = try issuer.token(aud: aud, lxm: nil)
            #expect(await Self.code { try await verifier.verify(noLxm, lxm: Self.method) } == "BadJwtLexiconMethod")
            let badIss = try issuer.token(aud: aud, lxm: Self.method, iss: "alice.example.org")
            #expect(await Self.code { try await verifier.verify(badIss, lxm: Self.method) } == "BadJwtIss")
            let emptyFragment = try issuer.token(aud: aud, lxm: Self.method, iss: issuer.did + "#")
            #expect(await Self.code { try await verifier.verify(emptyFragment, lxm: Self.method) } == "BadJwtIss")
            #expect(await Self.code { try await verifier.verify("a.b", lxm: Self.method) } == "BadJwt")
            #expect(await Self.code { try await verifier.verify("!!.??.**", lxm: Self.method) } == "BadJwt")
            let noExp = try ServiceJWT.sign(
                header: #"{"typ":"JWT","alg":"ES256K"}"#, payload: #"{"iss":"\#(issuer.did)","aud":"\#(aud)"}"#,
                key: issuer.signingKey)
            #expect(await Self.code { try await verifier.verify(noExp, lxm: Self.method) } == "BadJwt")
            // None of these reached the directory: only the first token's issuer was resolved.
            #expect(harness.plc.requestCount == 2)
        }
    }

    @Test("forged signatures, alg none and session or DPoP token types are refused")
    func signatureAndTypeChecks() async throws {
        try await AccountsHarness.with { harness in
            let verifier = harness.services.serviceAuth
            let aud = harness.settings.serviceDID
            let issuer = try await TestIssuer.register(in: harness)
            let forged = try issuer.token(aud: aud, lxm: Self.method, key: K256PrivateKey())
            let requestsBefore = harness.plc.requestCount
            #expect(await Self.code { try await verifier.verify(forged, lxm: Self.method) } == "BadJwtSignature")
            // A failed signature re-resolves the DID once (the key may have rotated).
            #expect(harness.plc.requestCount == requestsBefore + 2)

            let payload = #"{"iss":"\#(issuer.did)","aud":"\#(aud)","exp":\#(Int64(Date().timeIntervalSince1970) + 60),"lxm":"\#(Self.method)"}"#
            let none = Base64URL.encode(Array(#"{"typ":"JWT","alg":"none"}"#.utf8)) + "."
                + Base64URL.encode(Array(payload.utf8)) + "."
            #expect(await Self.code { try await verifier.verify(none, lxm: Self.method) } == "BadJwtSignature")
            let hs256 = SessionJWT(secret: AccountsHarness.jwtSecret, serviceDID: aud).sign(
                header: #"{"typ":"JWT","alg":"HS256"}"#, payload: payload)
            #expect(await Self.code { try await verifier.verify(hs256, lxm: Self.method) } == "BadJwtSignature")
            for typ in ["at+jwt", "refresh+jwt", "dpop+jwt"] {
                let token = try ServiceJWT.sign(
                    header: #"{"typ":"\#(typ)","alg":"ES256K"}"#, payload: payload, key: issuer.signingKey)
                #expect(await Self.code { try await verifier.verify(token, lxm: Self.method) } == "BadJwtType")
            }
            // A session access token is never a service token.
            let access = harness.services.jwt.accessToken(did: issuer.did, scope: .access).jwt
            #expect(await Self.code { try await verifier.verify(access, lxm: Self.method) } == "BadJwtType")
            // The alg must match the key's curve.
            let wrongAlg = try ServiceJWT.sign(
                header: #"{"typ":"JWT","alg":"ES256"}"#, payload: payload, key: issuer.signingKey)
            #expect(await Self.code { try await verifier.verify(wrongAlg, lxm: Self.method) } == "BadJwtSignature")
        }
    }

    @Test("a high-S signature is accepted, as the reference's allowMalleableSig")
    func highSAccepted() async throws {
        try await AccountsHarness.with { harness in
            let aud = harness.settings.serviceDID
            let issuer = try await TestIssuer.register(in: harness)
            let token = try issuer.token(aud: aud, lxm: Self.method)
            let parts = token.split(separator: ".").map(String.init)
            let signature = try #require(Base64URL.decode(parts[2]))
            let order = try #require(CryptoHex.bytes("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"))
            let highS = Array(signature[..<32]) + CryptoHex.subtract(order, Array(signature[32...]))
            #expect(!issuer.signingKey.publicKey.verify(signature: highS, message: Array((parts[0] + "." + parts[1]).utf8)))
            let malleated = parts[0] + "." + parts[1] + "." + Base64URL.encode(highS)
            let claims = try await harness.services.serviceAuth.verify(malleated, lxm: Self.method)
            #expect(claims.iss == issuer.did)
        }
    }

    @Test("a rotated key is found by resolving the DID again; the old key then fails")
    func rotatedKey() async throws {
        try await AccountsHarness.with { harness in
            let verifier = harness.services.serviceAuth
            let aud = harness.settings.serviceDID
            var issuer = try await TestIssuer.register(in: harness)
            let oldKey = issuer.signingKey
            _ = try await verifier.verify(try issuer.token(aud: aud, lxm: Self.method), lxm: Self.method)
            // Cached: a second token does not ask the directory.
            let cachedRequests = harness.plc.requestCount
            _ = try await verifier.verify(try issuer.token(aud: aud, lxm: Self.method), lxm: Self.method)
            #expect(harness.plc.requestCount == cachedRequests)

            try await issuer.rotate(in: harness, to: K256PrivateKey())
            let claims = try await verifier.verify(try issuer.token(aud: aud, lxm: Self.method), lxm: Self.method)
            #expect(claims.iss == issuer.did)
            let stale = try issuer.token(aud: aud, lxm: Self.method, key: oldKey)
            #expect(await Self.code { try await verifier.verify(stale, lxm: Self.method) } == "BadJwtSignature")
        }
    }

    @Test("a jti is accepted once until its token expires; tokens without jti skip the check")
    func replayedJTI() async throws {
        try await AccountsHarness.with { harness in
            let verifier = harness.services.serviceAuth
            let aud = harness.settings.serviceDID
            let issuer = try await TestIssuer.register(in: harness)
            let token = try issuer.token(aud: aud, lxm: Self.method)
            _ = try await verifier.verify(token, lxm: Self.method)
            #expect(await Self.code { try await verifier.verify(token, lxm: Self.method) } == "BadJwt")
            // The same jti from another issuer is another token.
            let other = try await TestIssuer.register(in: harness)
            let jti = ServiceJWT.newTokenID()
            _ = try await verifier.verify(try issuer.token(aud: aud, lxm: Self.method, jti: jti), lxm: Self.method)
            _ = try await verifier.verify(try other.token(aud: aud, lxm: Self.method, jti: jti), lxm: Self.method)
            let withoutJTI = try issuer.token(aud: aud, lxm: Self.method, jti: .some(nil))
            _ = try await verifier.verify(withoutJTI, lxm: Self.method)
            _ = try await verifier.verify(withoutJTI, lxm: Self.method)
        }
    }

    @Test("ES256 (P-256) keys, legacy key types, and the labeler key of did#atproto_labeler")
    func keyKinds() async throws {
        try await AccountsHarness.with { harness in
            let verifier = harness.services.serviceAuth
            let aud = harness.settings.serviceDID
            let p256 = try await TestIssuer.register(in: harness, signingKey: P256PrivateKey())
            let claims = try await verifier.verify(try p256.token(aud: aud, lxm: Self.method), lxm: Self.method)
            #expect(claims.iss == p256.did)

            let labelKey = K256PrivateKey()
            let labeler = try await TestIssuer.register(in: harness, extraMethods: ["atproto_label": labelKey.publicKey.didKey])
            let iss = labeler.did + "#atproto_labeler"
            let labelClaims = try await verifier.verify(
                try labeler.token(aud: aud, lxm: Self.method, iss: iss, key: labelKey), lxm: Self.method)
            #expect(labelClaims.iss == iss)
            #expect(labelClaims.issuerDID == labeler.did)
            let withRepoKey = try labeler.token(aud: aud, lxm: Self.method, iss: iss)
            #expect(await Self.code { try await verifier.verify(withRepoKey, lxm: Self.method) } == "BadJwtSignature")

            let legacy = DIDDocument(
                id: "did:web:legacy.example.com", alsoKnownAs: [],
                verificationMethod: [
                    .init(
                        id: "#atproto", type: "EcdsaSecp256k1VerificationKey2019", controller: "did:web:legacy.example.com",
                        publicKeyMultibase: "z" + Multibase.base58Encode(labelKey.publicKey.compressed))
                ], service: [])
            #expect(ServiceAuthVerifier.key("atproto", in: legacy) == labelKey.publicKey)
            #expect(ServiceAuthVerifier.key("atproto_label", in: legacy) == nil)
        }
    }

    @Test("an unknown issuer is 401, an unreachable directory 502")
    func unresolvableIssuer() async throws {
        try await AccountsHarness.with(plcAttempts: 1) { harness in
            let verifier = harness.services.serviceAuth
            let aud = harness.settings.serviceDID
            var issuer = try await TestIssuer.register(in: harness)
            issuer = TestIssuer(did: "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", rotationKey: issuer.rotationKey, signingKey: issuer.signingKey)
            do {
                _ = try await verifier.verify(try issuer.token(aud: aud, lxm: Self.method), lxm: Self.method)
                Issue.record("an unknown DID verified")
            } catch let error as XRPCError {
                #expect(error.status == .unauthorized)
                #expect(error.code == .authenticationRequired)
                #expect(error.message == "could not resolve iss did")
            }
            let unsupported = try issuer.token(aud: aud, lxm: Self.method, iss: "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")
            #expect(await Self.code { try await verifier.verify(unsupported, lxm: Self.method) } == "AuthenticationRequired")

            let known = try await TestIssuer.register(in: harness)
            harness.plc.mode = .failing
            do {
                _ = try await verifier.verify(try known.token(aud: aud, lxm: Self.method), lxm: Self.method)
                Issue.record("verified without a DID document")
            } catch let error as XRPCError {
                #expect(error.status == .badGateway)
                #expect(error.code == .upstreamFailure)
            }
        }
    }

    @Test("did:web issuers resolve through /.well-known/did.json, cached; a document for another DID is refused")
    func didWebIssuer() async throws {
        try await AccountsHarness.with { harness in
            let key = K256PrivateKey()
            let host = DIDWebHost()
            let router = Router()
            router.get("/:host/did.json") { _, context in
                host.fetches.withLock { $0 += 1 }
                let name = try context.parameters.require("host")
                guard let document = host.documents.withLock({ $0[name] }) else { return Response(status: .notFound) }
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(bytes: Array(try JSONEncoder().encode(document)))))
            }
            let server = try await LoopbackServer.start(router: router, label: "test-did-web")
            let port = server.port
            let resolver = DIDResolver(
                settings: .init(didWebURL: { "http://127.0.0.1:\(port)/\($0)/did.json" }), plc: harness.services.plc,
                metricsFactory: harness.metrics.factory)
            let verifier = ServiceAuthVerifier(serviceDID: harness.settings.serviceDID, resolver: resolver)
            func document(_ did: String) -> DIDDocument {
                DIDDocument(
                    id: did, alsoKnownAs: [],
                    verificationMethod: [
                        .init(id: "\(did)#atproto", type: "Multikey", controller: did, publicKeyMultibase: key.publicKey.multikey)
                    ], service: [])
            }
            host.documents.withLock {
                $0["issuer.example.com"] = document("did:web:issuer.example.com")
                $0["liar.example.com"] = document("did:web:issuer.example.com")
            }
            let issuer = TestIssuer(did: "did:web:issuer.example.com", rotationKey: K256PrivateKey(), signingKey: key)
            let aud = harness.settings.serviceDID
            _ = try await verifier.verify(try issuer.token(aud: aud, lxm: Self.method), lxm: Self.method)
            _ = try await verifier.verify(try issuer.token(aud: aud, lxm: Self.method), lxm: Self.method)
            #expect(host.fetches.withLock { $0 } == 1)
            #expect(
                harness.sample("pds_identity_resolve_duration_seconds_count", labels: ["method": "did_web", "result": "ok"]) == 1)

            let liar = try issuer.token(aud: aud, lxm: Self.method, iss: "did:web:liar.example.com")
            #expect(await Self.code { try await verifier.verify(liar, lxm: Self.method) } == "AuthenticationRequired")
            let missing = try issuer.token(aud: aud, lxm: Self.method, iss: "did:web:missing.example.com")
            #expect(await Self.code { try await verifier.verify(missing, lxm: Self.method) } == "AuthenticationRequired")
            #expect(
                harness.sample("pds_identity_resolve_duration_seconds_count", labels: ["method": "did_web", "result": "not_found"]) == 1)
            // atproto did:web has no path.
            await #expect(throws: DIDResolver.Failure.unsupported) {
                try await resolver.resolve("did:web:issuer.example.com:users:alice")
            }
            await server.stop()
        }
    }

    @Test("a DID document with entries of other shapes still yields its atproto key")
    func documentWithOtherEntries() throws {
        let key = K256PrivateKey()
        let json = """
            {"@context": ["https://www.w3.org/ns/did/v1"], "id": "did:web:rich.example.com",
             "verificationMethod": [
               {"id": "did:web:rich.example.com#jwk", "type": "JsonWebKey2020", "controller": "did:web:rich.example.com",
                "publicKeyJwk": {"kty": "OKP"}},
               {"id": "did:web:rich.example.com#atproto", "type": "Multikey", "controller": "did:web:rich.example.com",
                "publicKeyMultibase": "\(key.publicKey.multikey)"}],
             "service": [
               {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": "https://pds.example.com"},
               {"id": "#other", "type": "Other", "serviceEndpoint": {"origins": ["https://a.example.com"]}}]}
            """
        let document = try JSONDecoder().decode(DIDDocument.self, from: Data(json.utf8))
        #expect(ServiceAuthVerifier.key("atproto", in: document) == key.publicKey)
        #expect(document.pdsEndpoint == "https://pds.example.com")
        #expect(document.service.count == 1)
    }

    @Test("the replay cache stays within its capacity")
    func replayCacheBound() {
        let cache = JTIReplayCache(capacity: 100)
        for index in 0..<1_000 {
            #expect(cache.use("jti-\(index)", expiry: 2_000 + Int64(index), now: 1_000))
            #expect(cache.count <= 100)
        }
        // The latest are still remembered; expired entries make room first.
        #expect(!cache.use("jti-999", expiry: 2_999, now: 1_000))
        #expect(cache.use("jti-999", expiry: 4_000, now: 3_000))
    }

    @Test("createAccount counts service auth in pds_auth_attempts_total{method=service}")
    func metricsThroughCreateAccount() async throws {
        try await AccountsHarness.with { harness in
            let issuer = try await TestIssuer.register(in: harness)
            try await harness.test { client in
                let wrongAud = try issuer.token(aud: "did:web:elsewhere.example.com", lxm: Self.method)
                let response = try await client.execute(
                    uri: AccountsHarness.createAccountURI, method: .post,
                    headers: [.contentType: "application/json", .authorization: "Bearer \(wrongAud)"],
                    body: AccountsHarness.body(AccountsHarness.input("alice", ["did": issuer.did])))
                #expect(response.status == .unauthorized)
                #expect(AccountsHarness.object(response)["error"] as? String == "BadJwtAudience")
                let expired = try issuer.token(
                    aud: harness.settings.serviceDID, lxm: Self.method, exp: Int64(Date().timeIntervalSince1970) - 1)
                let expiredResponse = try await client.execute(
                    uri: AccountsHarness.createAccountURI, method: .post,
                    headers: [.contentType: "application/json", .authorization: "Bearer \(expired)"],
                    body: AccountsHarness.body(AccountsHarness.input("alice", ["did": issuer.did])))
                #expect(AccountsHarness.object(expiredResponse)["error"] as? String == "JwtExpired")
            }
            #expect(harness.sample("pds_auth_attempts_total", labels: ["method": "service", "result": "invalid"]) == 1)
            #expect(harness.sample("pds_auth_attempts_total", labels: ["method": "service", "result": "expired"]) == 1)
            #expect(try await harness.accountCount() == 0)
        }
    }
}

extension ServiceAuthTests {
    @Test("uploadBlob takes a service JWT from a local account for uploadBlob (the video service's uploads)")
    func uploadBlobWithServiceAuth() async throws {
        try await AccountsHarness.with(withBlobs: true) { harness in
            let issuer = try await TestIssuer.register(in: harness)
            try await harness.services.accounts.create(
                AccountStore.NewAccount(
                    did: issuer.did, handle: "video.pds.example.com", email: "video@example.com", passwordScrypt: nil,
                    signingKey: K256PrivateKey()))
            let stranger = try await TestIssuer.register(in: harness)
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 100)
            let uri = "/xrpc/com.atproto.repo.uploadBlob"
            @Sendable func upload(_ client: any TestClientProtocol, _ token: String) async throws -> TestResponse {
                try await client.execute(
                    uri: uri, method: .post, headers: [.contentType: "image/png", .authorization: "Bearer \(token)"],
                    body: ByteBuffer(bytes: png))
            }
            try await harness.test { client in
                let ok = try await upload(client, try issuer.token(aud: harness.settings.serviceDID, lxm: "com.atproto.repo.uploadBlob"))
                #expect(ok.status == .ok)
                let blob = AccountsHarness.object(ok)["blob"] as? [String: Any]
                #expect(blob?["mimeType"] as? String == "image/png" && blob?["size"] as? Int == png.count)
                let wrongMethod = try await upload(client, try issuer.token(aud: harness.settings.serviceDID, lxm: "com.atproto.repo.createRecord"))
                #expect(wrongMethod.status == .unauthorized)
                #expect(AccountsHarness.object(wrongMethod)["error"] as? String == "BadJwtLexiconMethod")
                let wrongAudience = try await upload(client, try issuer.token(aud: "did:web:video.bsky.app", lxm: "com.atproto.repo.uploadBlob"))
                #expect(AccountsHarness.object(wrongAudience)["error"] as? String == "BadJwtAudience")
                let notHere = try await upload(client, try stranger.token(aud: harness.settings.serviceDID, lxm: "com.atproto.repo.uploadBlob"))
                #expect(notHere.status == .forbidden)
                #expect(AccountsHarness.object(notHere)["error"] as? String == "AccountNotFound")
            }
            #expect(harness.sample("pds_auth_attempts_total", labels: ["method": "service", "result": "ok"]) == 1)
            let stored = try await harness.database.read(kind: "test") { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM blob WHERE did = ?", arguments: [issuer.did])
            }
            #expect(stored == 1)
        }
    }
}

/// The did:web documents a loopback server serves, and how often it was asked.
final class DIDWebHost: Sendable {
    let documents = Mutex<[String: DIDDocument]>([:])
    let fetches = Mutex(0)
}

/// Big-endian helpers for building malleated signatures.
enum CryptoHex {
    static func bytes(_ hex: String) -> [UInt8]? {
        var out: [UInt8] = []
        var chars = Array(hex.utf8)[...]
        while chars.count >= 2 {
            guard let byte = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
            chars = chars.dropFirst(2)
        }
        return chars.isEmpty ? out : nil
    }

    /// `a - b` for equal-length big-endian numbers, `a >= b`.
    static func subtract(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: a.count)
        var borrow = 0
        for index in stride(from: a.count - 1, through: 0, by: -1) {
            var difference = Int(a[index]) - Int(b[index]) - borrow
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 256 }
            out[index] = UInt8(difference)
        }
        return out
    }
}
