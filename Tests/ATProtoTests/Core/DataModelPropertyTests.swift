import Testing

@testable import ATProto

/// Random data-model values: round trips must be byte-exact and the decoder must never crash.
@Suite("Data model properties")
struct DataModelPropertyTests {
    static func randomString(_ rng: inout SeededGenerator) -> String {
        let pool: [String] = ["a", "b", "z", "é", "日本", "😀", " ", "\n", "\"", "\\", "\u{0}", "$type", "text", "🇫🇷"]
        let n = Int.random(in: 0...6, using: &rng)
        return (0..<n).map { _ in pool.randomElement(using: &rng)! }.joined()
    }

    static func randomValue(_ rng: inout SeededGenerator, depth: Int = 0) -> DataValue {
        let choice = Int.random(in: 0..<(depth > 4 ? 6 : 8), using: &rng)
        switch choice {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2:
            let magnitudes: [Int64] = [0, 23, 24, 255, 256, 65535, 65536, 1 << 32, Int64.max, Int64.min, -1, -24, -25]
            return Bool.random(using: &rng)
                ? .int(magnitudes.randomElement(using: &rng)!) : .int(Int64.random(in: Int64.min...Int64.max, using: &rng))
        case 3: return .string(randomString(&rng))
        case 4: return .bytes(rng.bytes(Int.random(in: 0...40, using: &rng)))
        case 5: return .link(CID.dagCBOR(hashing: rng.bytes(8)))
        case 6: return .array((0..<Int.random(in: 0...5, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var map: [String: DataValue] = [:]
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                let key = randomString(&rng)
                guard key != "$link", key != "$bytes" else { continue }
                map[key] = randomValue(&rng, depth: depth + 1)
            }
            return .map(map)
        }
    }

    @Test(arguments: 0..<8)
    func cborRoundTripIsByteExact(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<300 {
            let value = Self.randomValue(&rng)
            let bytes = DAGCBOR.encode(value)
            let decoded = try DAGCBOR.decode(bytes)
            #expect(decoded == value, "seed \(seed)")
            #expect(DAGCBOR.encode(decoded) == bytes, "seed \(seed)")
        }
    }

    @Test(arguments: 0..<4)
    func jsonRoundTrip(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<300 {
            let value = Self.randomValue(&rng)
            let json = AtprotoJSON.serialize(value)
            #expect(try AtprotoJSON.parse(json) == value, "seed \(seed): \(String(decoding: json, as: UTF8.self))")
        }
    }

    /// Flipping, inserting and deleting bytes of valid encodings must give either a value whose own encoding
    /// is exactly the input (the decoder accepted only canonical bytes) or a DAGCBORError; never a crash.
    @Test(arguments: 0..<4)
    func decoderSurvivesMutations(seed: UInt64) {
        var rng = SeededGenerator(seed: seed &+ 1000)
        for _ in 0..<400 {
            var bytes = DAGCBOR.encode(Self.randomValue(&rng))
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let i = Int.random(in: 0..<max(bytes.count, 1), using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0 where !bytes.isEmpty: bytes[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                case 1: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: min(i, bytes.count))
                default: if !bytes.isEmpty { bytes.remove(at: i) }
                }
            }
            if let value = try? DAGCBOR.decode(bytes) {
                #expect(DAGCBOR.encode(value) == bytes, "seed \(seed): accepted a non-canonical encoding")
            }
        }
    }

    @Test func jsonParserRejectsMalformedInput() throws {
        let bad = [
            "", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "01", "-", "1.", ".5", "\"\\x\"", "\"\u{01}\"", "\"\\ud800\"",
            "\"\\udc00\"", "{\"a\":1,\"a\":2}", "nul", "[1] 2", "99999999999999999999", "{\"$link\":\"bafy\"}",
            "{\"$bytes\":\"-_-_\"}",
        ]
        for text in bad {
            #expect(throws: AtprotoJSONError.self, "\(text.debugDescription)") { try AtprotoJSON.parse(text) }
        }
        #expect(try AtprotoJSON.parse(#""\ud83d\ude00 \u00e9\/""#) == .string("😀 é/"))
        #expect(try AtprotoJSON.parse("-9223372036854775808") == .int(Int64.min))
        #expect(try AtprotoJSON.parse(#"{"$bytes":"AQI"}"#) == .bytes([1, 2]))
        #expect(try AtprotoJSON.parse(#"{"$bytes":"AQI="}"#) == .bytes([1, 2]))
    }

    @Test func blobRefs() throws {
        let cid = CID.raw(hashing: [1, 2, 3])
        let blob = BlobRef(ref: cid, mimeType: "image/png", size: 3)
        let record: DataValue = ["$type": "app.bsky.feed.post", "embed": ["images": [["image": blob.dataValue]]]]
        #expect(BlobRef.all(in: record) == [blob])
        let legacy: DataValue = ["cid": .string(cid.string), "mimeType": "image/png"]
        #expect(BlobRef(legacy)?.size == nil)
        #expect(BlobRef(legacy)?.ref == cid)
    }
}
