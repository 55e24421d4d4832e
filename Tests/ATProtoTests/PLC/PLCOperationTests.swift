import ATProto
import Testing

@Suite struct PLCOperationTests {
    static func genesis(rotation: any SigningKey, signing: any SigningKey = K256PrivateKey()) -> PLCOperation {
        PLCOperation(
            atprotoSigningKey: signing.publicKey.didKey,
            rotationKeys: [rotation.publicKey.didKey],
            handle: "alice.example.com",
            pdsEndpoint: "https://pds.example.com"
        )
    }

    @Test(arguments: Curve.allCases) func createSignAndDeriveDID(curve: Curve) throws {
        let rotation: any SigningKey = curve == .k256 ? K256PrivateKey() : P256PrivateKey()
        let op = Self.genesis(rotation: rotation)
        let signed = try op.signed(with: rotation)
        #expect(signed.operation == op)
        #expect(signed.signature?.count == 64)
        #expect(!signed.sig.contains("=") && !signed.sig.contains("+") && !signed.sig.contains("/"))
        #expect(signed.verify(rotationKeys: op.rotationKeys))
        #expect(signed.signerIndex(among: [K256PrivateKey().didKey, rotation.didKey]) == 1)

        let did = PLC.did(forGenesis: signed)
        #expect(did.hasPrefix("did:plc:"))
        #expect(did.count == 32)
        #expect(did.dropFirst(8).allSatisfy { "abcdefghijklmnopqrstuvwxyz234567".contains($0) })
        // By definition: base32 of SHA-256 of the signed DAG-CBOR bytes, first 24 characters.
        #expect(did == "did:plc:" + Multibase.base32Encode(SHA256Hash.digest(signed.bytes())).prefix(24))
        #expect(PLC.did(forGenesis: signed) == did)
    }

    @Test func unsignedBytesHaveNullPrevAndNoSig() throws {
        let op = Self.genesis(rotation: K256PrivateKey())
        let unsigned = try DAGCBOR.decode(op.unsignedBytes())
        let fields = try #require(unsigned.mapValue)
        #expect(Set(fields.keys) == ["type", "rotationKeys", "verificationMethods", "alsoKnownAs", "services", "prev"])
        #expect(fields["prev"] == .null)
        #expect(fields["type"] == .string("plc_operation"))
        #expect(fields["alsoKnownAs"] == .array([.string("at://alice.example.com")]))
        #expect(
            fields["services"]
                == .map([
                    "atproto_pds": .map([
                        "type": .string("AtprotoPersonalDataServer"), "endpoint": .string("https://pds.example.com"),
                    ])
                ]))

        let signed = try op.signed(with: K256PrivateKey())
        let signedFields = try #require(try DAGCBOR.decode(signed.bytes()).mapValue)
        #expect(signedFields["sig"] == .string(signed.sig))
        // DAG-CBOR key order is length-first: the encoding starts with the 3-letter keys.
        #expect(signed.bytes().starts(with: [0xa7, 0x63] + Array("sig".utf8)))
    }

    @Test func updateChainsToGenesis() throws {
        let rotation = K256PrivateKey()
        let newRotation = P256PrivateKey()
        let genesis = try Self.genesis(rotation: rotation).signed(with: rotation)
        var next = genesis.operation
        next.prev = genesis.cid().string
        next.rotationKeys = [newRotation.didKey, rotation.didKey]
        next.alsoKnownAs = ["at://bob.example.com"]
        // The update is authorised by the previous operation's rotation keys.
        let update = try next.signed(with: rotation)
        #expect(update.verify(rotationKeys: genesis.operation.rotationKeys))
        #expect(update.operation.handle == "bob.example.com")
        #expect(try CID(string: try #require(update.operation.prev)) == genesis.cid())
        // A key that was not yet a rotation key cannot authorise it.
        let rogue = try next.signed(with: newRotation)
        #expect(!rogue.verify(rotationKeys: genesis.operation.rotationKeys))
    }

    @Test func signingIsStableForK256() throws {
        // RFC 6979: same key and operation give the same signature, hence the same DID.
        let rotation = try K256PrivateKey(hex: "9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c")
        let signing = try K256PrivateKey(hex: "f0f4df55a2b3ff13051ea814a8f24ad00f2e469af73c363ac7e9fb999a9072ed")
        let op = Self.genesis(rotation: rotation, signing: signing)
        #expect(try PLC.did(forGenesis: op.signed(with: rotation)) == PLC.did(forGenesis: op.signed(with: rotation)))
    }

    @Test func jsonRoundTrip() throws {
        let rotation = K256PrivateKey()
        let signed = try Self.genesis(rotation: rotation).signed(with: rotation)
        let json = signed.jsonBytes()
        #expect(try SignedPLCOperation(json: json) == signed)
        let object = signed.jsonObject()
        #expect(object["type"] as? String == "plc_operation")
        #expect(object["sig"] as? String == signed.sig)
        #expect(object.keys.contains("prev"))
        #expect((object["rotationKeys"] as? [String]) == [rotation.didKey])
    }

    // MARK: validation

    static func invalidOperations() -> [(String, PLCOperation)] {
        let key = K256PrivateKey().didKey
        let base = genesis(rotation: K256PrivateKey())
        func with(_ change: (inout PLCOperation) -> Void) -> PLCOperation {
            var op = base
            change(&op)
            return op
        }
        return [
            ("no rotation keys", with { $0.rotationKeys = [] }),
            ("six rotation keys", with { $0.rotationKeys = (0..<6).map { _ in K256PrivateKey().didKey } }),
            ("duplicate rotation key", with { $0.rotationKeys = [key, key] }),
            ("rotation key not a did:key", with { $0.rotationKeys = ["did:web:example.com"] }),
            ("rotation key bad encoding", with { $0.rotationKeys = [String(key.dropLast())] }),
            ("verification method not a did:key", with { $0.verificationMethods = ["atproto": "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"] }),
            ("verification method name with #", with { $0.verificationMethods = ["#atproto": key] }),
            ("empty verification method name", with { $0.verificationMethods = ["": key] }),
            ("service name with #", with { $0.services = ["#atproto_pds": PLCService(type: "AtprotoPersonalDataServer", endpoint: "https://x")] }),
            ("service with empty endpoint", with { $0.services = ["atproto_pds": PLCService(type: "AtprotoPersonalDataServer", endpoint: "")] }),
            ("empty alias", with { $0.alsoKnownAs = [""] }),
            ("prev not a CID", with { $0.prev = "not-a-cid" }),
            ("prev a raw CID", with { $0.prev = CID.raw(hashing: [1, 2, 3]).string }),
            ("larger than 7500 bytes", with { $0.alsoKnownAs = ["at://" + String(repeating: "a", count: 7500)] }),
        ]
    }

    @Test func invalidOperationsAreRefused() throws {
        let cases = Self.invalidOperations()
        #expect(cases.count == 14)
        for (name, op) in cases {
            let error = #expect(throws: PLCError.self, "\(name)") { try op.signed(with: K256PrivateKey()) }
            #expect(error?.code == .invalidOperation, "\(name): \(String(describing: error))")
        }
    }

    @Test func fiveRotationKeysAndEmptyMapsAreAccepted() throws {
        let keys = (0..<5).map { _ in K256PrivateKey() }
        let op = PLCOperation(
            rotationKeys: keys.map(\.didKey), verificationMethods: [:], alsoKnownAs: [], services: [:], prev: nil)
        let signed = try op.signed(with: keys[4])
        #expect(signed.signerIndex(among: op.rotationKeys) == 4)
    }

    // MARK: parsing

    @Test(arguments: [
        #"[]"#,
        #"{"type":"plc_tombstone","prev":"bafyreigp6shzy6dlcxuowwoxz7u5nemdrkad2my5zwzpwilcnhih7bw6zm","sig":"x"}"#,
        #"{"type":"create","signingKey":"did:key:z","recoveryKey":"did:key:z","handle":"a","service":"https://a","prev":null,"sig":"x"}"#,
        #"{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{},"sig":"x"}"#,
        #"{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{},"prev":null}"#,
        #"{"type":"plc_operation","rotationKeys":[1],"verificationMethods":{},"alsoKnownAs":[],"services":{},"prev":null,"sig":"x"}"#,
        #"{"type":"plc_operation","rotationKeys":[],"verificationMethods":[],"alsoKnownAs":[],"services":{},"prev":null,"sig":"x"}"#,
        #"{"type":"plc_operation","rotationKeys":[],"verificationMethods":{"a":1},"alsoKnownAs":[],"services":{},"prev":null,"sig":"x"}"#,
        #"{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":"at://a","services":{},"prev":null,"sig":"x"}"#,
        #"{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{"a":{"type":"t"}},"prev":null,"sig":"x"}"#,
        #"{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{"a":{"type":"t","endpoint":"e","x":"y"}},"prev":null,"sig":"x"}"#,
        #"{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{},"prev":1,"sig":"x"}"#,
        #"{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{},"prev":null,"sig":"x","extra":true}"#,
        #"{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{},"prev":null,"sig":null}"#,
        #"not json"#,
    ])
    func malformedOperationsAreRefused(json: String) {
        let error = #expect(throws: PLCError.self) { try SignedPLCOperation(json: Array(json.utf8)) }
        #expect(error?.code == .malformedOperation)
    }

    @Test func wellFormedMinimalOperationParses() throws {
        let json = #"{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{},"prev":null,"sig":"x"}"#
        let op = try SignedPLCOperation(json: Array(json.utf8))
        #expect(op.operation.rotationKeys.isEmpty && op.operation.isGenesis && op.sig == "x")
        #expect(op.signature == nil)
        #expect(!op.verify(rotationKeys: []))
    }
}
