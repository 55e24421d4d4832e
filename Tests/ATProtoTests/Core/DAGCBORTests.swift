import Testing

@testable import ATProto

@Suite("DAG-CBOR")
struct DAGCBORTests {
    static let cid = CID.dagCBOR(hashing: Array("hello".utf8))

    @Test func encodesCanonicalHeads() {
        #expect(DAGCBOR.encode(.int(0)) == [0x00])
        #expect(DAGCBOR.encode(.int(23)) == [0x17])
        #expect(DAGCBOR.encode(.int(24)) == [0x18, 24])
        #expect(DAGCBOR.encode(.int(255)) == [0x18, 0xff])
        #expect(DAGCBOR.encode(.int(256)) == [0x19, 0x01, 0x00])
        #expect(DAGCBOR.encode(.int(65536)) == [0x1a, 0, 1, 0, 0])
        #expect(DAGCBOR.encode(.int(1 << 32)) == [0x1b, 0, 0, 0, 1, 0, 0, 0, 0])
        #expect(DAGCBOR.encode(.int(-1)) == [0x20])
        #expect(DAGCBOR.encode(.int(-25)) == [0x38, 24])
        #expect(DAGCBOR.encode(.int(Int64.min)) == [0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        #expect(DAGCBOR.encode(.int(Int64.max)) == [0x1b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        #expect(DAGCBOR.encode(.null) == [0xf6])
        #expect(DAGCBOR.encode(.bool(true)) == [0xf5])
        #expect(DAGCBOR.encode(.bool(false)) == [0xf4])
        #expect(DAGCBOR.encode(.string("a")) == [0x61, 0x61])
        #expect(DAGCBOR.encode(.bytes([1, 2])) == [0x42, 1, 2])
        #expect(DAGCBOR.encode(.array([])) == [0x80])
        #expect(DAGCBOR.encode(.map([:])) == [0xa0])
    }

    @Test func sortsKeysLengthFirst() throws {
        let value: DataValue = ["version": 3, "did": "x", "rev": "y", "sig": .bytes([]), "data": nil, "prev": nil]
        let bytes = DAGCBOR.encode(value)
        // Expected order on the wire: did, rev, sig, data, prev, version.
        let text = String(decoding: bytes, as: UTF8.self)
        let order = ["did", "rev", "sig", "data", "prev", "version"].map { text.range(of: $0)!.lowerBound }
        #expect(order == order.sorted())
        #expect(try DAGCBOR.decode(bytes) == value)
    }

    @Test func encodesLinksAsTag42() throws {
        let bytes = DAGCBOR.encode(.link(Self.cid))
        #expect(Array(bytes.prefix(4)) == [0xd8, 0x2a, 0x58, 37])
        #expect(bytes[4] == 0x00)
        #expect(Array(bytes[5...]) == Self.cid.bytes)
        #expect(try DAGCBOR.decode(bytes) == .link(Self.cid))
    }

    // MARK: Rejections

    func rejects(_ bytes: [UInt8], _ kind: DAGCBORError.Kind, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let value = try DAGCBOR.decode(bytes)
            Issue.record("decoded \(value) but expected \(kind)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func rejectsNonMinimalHeaders() {
        rejects([0x18, 0x05], .nonMinimalHeader)
        rejects([0x19, 0x00, 0xff], .nonMinimalHeader)
        rejects([0x1a, 0x00, 0x00, 0xff, 0xff], .nonMinimalHeader)
        rejects([0x1b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], .nonMinimalHeader)
        rejects([0x78, 0x01, 0x61], .nonMinimalHeader)  // 1-char string with a 1-byte length
        rejects([0x98, 0x00], .nonMinimalHeader)
    }

    @Test func rejectsIndefiniteLengths() {
        rejects([0x9f, 0x01, 0xff], .indefiniteLength)
        rejects([0xbf, 0x61, 0x61, 0x01, 0xff], .indefiniteLength)
        rejects([0x7f, 0x61, 0x61, 0xff], .indefiniteLength)
        rejects([0x5f, 0x41, 0x00, 0xff], .indefiniteLength)
    }

    @Test func rejectsFloatsUndefinedAndSimpleValues() {
        rejects([0xf9, 0x3c, 0x00], .floatNotAllowed)
        rejects([0xfa, 0x3f, 0x80, 0x00, 0x00], .floatNotAllowed)
        rejects([0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0], .floatNotAllowed)
        rejects([0xf7], .unsupportedSimpleValue)
        rejects([0xf0], .unsupportedSimpleValue)
        rejects([0xf8, 0x20], .unsupportedSimpleValue)
        rejects([0xff], .indefiniteLength)
        rejects([0x1c], .reservedAdditionalInfo)
    }

    @Test func rejectsOtherTagsAndBadLinks() {
        rejects([0xc0, 0x61, 0x61], .unsupportedTag)
        rejects([0xd8, 0x2b, 0x41, 0x00], .unsupportedTag)
        rejects([0xd8, 0x2a, 0x61, 0x61], .invalidLink)  // text, not bytes
        var noPrefix: [UInt8] = [0xd8, 0x2a, 0x58, 36]
        noPrefix += Self.cid.bytes
        rejects(noPrefix, .invalidLink)
        rejects([0xd8, 0x2a, 0x43, 0x00, 0x01, 0x71], .invalidLink)  // truncated CID
    }

    @Test func rejectsBadMaps() {
        rejects([0xa1, 0x01, 0x01], .nonStringMapKey)
        rejects([0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x01], .unsortedMapKeys)  // "b" before "a"
        rejects([0xa2, 0x62, 0x61, 0x61, 0x01, 0x61, 0x62, 0x01], .unsortedMapKeys)  // longer key first
        rejects([0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02], .duplicateMapKey)
    }

    @Test func rejectsTruncationTrailingBytesAndBadUTF8() {
        rejects([0x62, 0x61], .truncated)
        rejects([0x82, 0x01], .truncated)
        rejects([0x19, 0x01], .truncated)
        rejects([], .truncated)
        rejects([0x01, 0x02], .trailingBytes)
        rejects([0x62, 0xc3, 0x28], .invalidUTF8)
        rejects([0xa1, 0x61, 0xff, 0x01], .invalidUTF8)
        rejects([0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0], .integerOutOfRange)
        rejects([0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0], .integerOutOfRange)
    }

    @Test func enforcesLimits() throws {
        var deep = [UInt8](repeating: 0x81, count: 100)
        deep.append(0x01)
        rejects(deep, .limitExceeded)
        // A huge declared length fails fast without allocating.
        rejects([0x9b, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00], .limitExceeded)
        rejects([0x9a, 0x00, 0x0f, 0x00, 0x00], .truncated)
        rejects([0x5a, 0x7f, 0xff, 0xff, 0xff], .limitExceeded)
        var limits = DAGCBOR.Limits()
        limits.maxDepth = 2
        #expect(throws: DAGCBORError.self) { try DAGCBOR.decode([0x81, 0x81, 0x81, 0x01], limits: limits) }
        #expect(try DAGCBOR.decode([0x81, 0x81, 0x01], limits: limits) == [[1]])
    }

    @Test func errorsSayWhere() {
        do {
            _ = try DAGCBOR.decode([0x82, 0x01, 0xf9, 0x00, 0x00])
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 2)
            #expect(error.description.contains("byte 2"))
        }
    }

    @Test func decodePrefixReportsUsedBytes() throws {
        let header = DAGCBOR.encode(["op": 1, "t": "#commit"])
        let body = DAGCBOR.encode(["seq": 5])
        let (value, used) = try DAGCBOR.decodePrefix(header + body)
        #expect(used == header.count)
        #expect(value["t"] == "#commit")
        #expect(try DAGCBOR.decode(Array((header + body)[used...])) == ["seq": 5])
    }
}
