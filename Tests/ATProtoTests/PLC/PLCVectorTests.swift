import ATProto
import Testing

/// Real did:plc operations: DID derivation, operation CIDs, the prev chain and signature checks.
@Suite struct PLCVectorTests {
    static func parse(_ entry: PLCVectors.Entry) throws -> SignedPLCOperation {
        try SignedPLCOperation(json: Array(entry.operationJSON.utf8))
    }

    @Test func bskyAppGenesisGivesItsDID() throws {
        let genesis = try Self.parse(PLCVectors.bskyApp[0])
        #expect(genesis.operation.isGenesis)
        #expect(PLC.did(forGenesis: genesis) == "did:plc:z72i7hdynmk6r22z27h6tvur")
        #expect(genesis.cid().string == PLCVectors.bskyApp[0].cid)
        #expect(genesis.operation.handle == "bluesky-team.bsky.social")
        #expect(genesis.operation.pdsEndpoint == "https://bsky.social")
        #expect(genesis.operation.atprotoSigningKey == "did:key:zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF")
    }

    @Test func bskyAppLogVerifies() throws {
        let genesis = try Self.parse(PLCVectors.bskyApp[0])
        let update = try Self.parse(PLCVectors.bskyApp[1])
        #expect(update.cid().string == PLCVectors.bskyApp[1].cid)
        #expect(update.operation.prev == genesis.cid().string)
        #expect(!update.operation.isGenesis)
        // Genesis is signed by one of its own rotation keys; an update by one of the previous operation's.
        #expect(genesis.verify(rotationKeys: genesis.operation.rotationKeys))
        #expect(update.verify(rotationKeys: genesis.operation.rotationKeys))
        #expect(genesis.signerIndex(among: genesis.operation.rotationKeys) != nil)
        // Neither verifies against unrelated keys, and the genesis signature does not cover the update.
        let stranger = K256PrivateKey().publicKey.didKey
        #expect(!genesis.verify(rotationKeys: [stranger]))
        let swapped = SignedPLCOperation(operation: update.operation, sig: genesis.sig)
        #expect(!swapped.verify(rotationKeys: genesis.operation.rotationKeys))
    }

    @Test func reencodingIsByteExact() throws {
        for entry in PLCVectors.bskyApp + PLCVectors.invalidSignatures.map(\.entry) {
            let op = try Self.parse(entry)
            let decoded = try DAGCBOR.decode(op.bytes())
            #expect(try SignedPLCOperation(dataValue: decoded) == op)
            #expect(try SignedPLCOperation(json: op.jsonBytes()) == op)
        }
    }

    @Test(arguments: 0..<6) func invalidSignatureIsRejected(index: Int) throws {
        let (name, entry) = PLCVectors.invalidSignatures[index]
        let op = try Self.parse(entry)
        // DID and CID are computed over the signed bytes whatever the signature's validity.
        #expect(PLC.did(forGenesis: op) == entry.did, "\(name)")
        #expect(op.cid().string == entry.cid, "\(name)")
        #expect(!op.verify(rotationKeys: op.operation.rotationKeys), "\(name)")
        #expect(op.signerIndex(among: op.operation.rotationKeys) == nil, "\(name)")
    }

    @Test func nonCanonicalBase64SignaturesDoNotDecode() throws {
        for (name, entry) in PLCVectors.invalidSignatures where name.hasPrefix("b64_") {
            #expect(try Self.parse(entry).signature == nil, "\(name)")
        }
        let der = try Self.parse(try #require(PLCVectors.invalidSignatures.first { $0.name == "der" }).entry)
        // This DER signature happens to be 64 bytes long; it must still fail as compact r || s.
        #expect(der.signature?.count == 64)
    }

    @Test(arguments: ["k256_high_s", "p256_high_s"]) func highSSignatureIsValidOnceNormalised(name: String) throws {
        // Proves the rejection is the low-S rule and nothing else: the low-S twin verifies.
        let entry = try #require(PLCVectors.invalidSignatures.first { $0.name == name }).entry
        let op = try Self.parse(entry)
        let signature = try #require(op.signature)
        let key = try PublicKey(didKey: op.operation.rotationKeys[0])
        let order = key.curve == .k256 ? SigningTests.k256Order : SigningTests.p256Order
        let lowS = Array(signature[..<32]) + SigningTests.subtract(order, Array(signature[32...]))
        #expect(!key.verify(signature: signature, message: op.operation.unsignedBytes()))
        #expect(key.verify(signature: lowS, message: op.operation.unsignedBytes()))
        let fixed = SignedPLCOperation(operation: op.operation, sig: Multibase.base64Encode(lowS, padded: false, urlSafe: true))
        #expect(fixed.verify(rotationKeys: op.operation.rotationKeys))
    }
}
