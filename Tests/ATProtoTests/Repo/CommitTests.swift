import ATProto
import Testing

@Suite struct CommitTests {
    let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
    let rev = "3jzfcijpj2z2a"

    @Test func signVerifyEncodeDecode() throws {
        let key = K256PrivateKey()
        let unsigned = UnsignedCommit(did: did, data: MST.emptyRootCID, rev: rev)
        let commit = try unsigned.signed(with: key)
        #expect(commit.version == 3)
        #expect(commit.prev == nil)
        #expect(commit.sig.count == 64)
        #expect(commit.verifySignature(with: key.publicKey))
        #expect(!commit.verifySignature(with: K256PrivateKey().publicKey))

        let (cid, bytes) = commit.block()
        #expect(cid == CID.dagCBOR(hashing: bytes))
        #expect(cid == commit.cid)
        let decoded = try Commit(block: bytes)
        #expect(decoded == commit)
        #expect(decoded.verifySignature(with: key.publicKey))

        // The signed bytes are the map without `sig`; the wire order is did, rev, sig, data, prev, version.
        let value = try DAGCBOR.decode(bytes)
        #expect(value["prev"] == .null)
        #expect(value["version"] == 3)
        #expect(Array(bytes.prefix(5)) == [0xa6, 0x63] + Array("did".utf8))
        #expect(DAGCBOR.encode(try DAGCBOR.decode(unsigned.encoded())) == unsigned.encoded())
        #expect(try DAGCBOR.decode(unsigned.encoded())["sig"] == nil)

        // A tampered field breaks the signature.
        let tampered = Commit(unsigned: UnsignedCommit(did: did, data: RepoTestSupport.leaf, rev: rev), sig: commit.sig)
        #expect(!tampered.verifySignature(with: key.publicKey))
    }

    @Test func decodeRejectsMalformedCommits() throws {
        let good: [String: DataValue] = [
            "did": .string(did), "version": 3, "data": .link(MST.emptyRootCID), "rev": .string(rev), "prev": .null,
            "sig": .bytes([UInt8](repeating: 1, count: 64)),
        ]
        _ = try Commit(block: DAGCBOR.encode(.map(good)))
        var cases: [(String, [String: DataValue])] = []
        for field in good.keys { var m = good; m[field] = nil; cases.append(("missing \(field)", m)) }
        var m = good; m["version"] = 4; cases.append(("version 4", m))
        m = good; m["did"] = "not-a-did"; cases.append(("bad did", m))
        m = good; m["rev"] = "notatid"; cases.append(("bad rev", m))
        m = good; m["data"] = "bafy"; cases.append(("data not a link", m))
        m = good; m["sig"] = "abc"; cases.append(("sig not bytes", m))
        m = good; m["extra"] = 1; cases.append(("unknown field", m))
        m = good; m["prev"] = 5; cases.append(("prev not a link", m))
        for (name, map) in cases {
            let error = #expect(throws: CommitError.self, "\(name)") { try Commit(block: DAGCBOR.encode(.map(map))) }
            #expect(error?.code == .invalidCommit, "\(name)")
        }
        #expect((#expect(throws: CommitError.self) { try Commit(block: [0xa0, 0x00]) })?.code == .invalidCommit)
        #expect((#expect(throws: CommitError.self) { try Commit(block: DAGCBOR.encode(.array([]))) })?.code == .invalidCommit)

        // Legacy v2 (no rev) still reads.
        var v2 = good
        v2["version"] = 2
        v2["rev"] = nil
        let legacy = try Commit(block: DAGCBOR.encode(.map(v2)))
        #expect(legacy.version == 2)
        #expect(legacy.block().bytes == DAGCBOR.encode(.map(v2)))
    }

    @Test func operationsRoundTripThroughDataValues() throws {
        let ops = [
            RepoOperation(action: .create, path: "a/b", cid: RepoTestSupport.leaf, prev: nil),
            RepoOperation(action: .update, path: "a/c", cid: RepoTestSupport.leaf, prev: MST.emptyRootCID),
            RepoOperation(action: .delete, path: "a/d", cid: nil, prev: RepoTestSupport.leaf),
        ]
        for op in ops { #expect(try RepoOperation(dataValue: op.dataValue) == op) }
        #expect(ops[0].dataValue["prev"] == nil)
        #expect(ops[2].dataValue["cid"] == .null)
        #expect(throws: CommitError.self) { try RepoOperation(dataValue: .map(["action": "move", "path": "a/b"])) }
    }
}
