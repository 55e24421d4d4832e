import Testing

@testable import ATProto

/// The validator's rules on small hand-written schemas.
@Suite("Lexicon validator")
struct LexiconValidatorTests {
    private static let registry: LexiconRegistry? = try? LexiconRegistry([
        LexiconDocument(
            json: #"""
                {"lexicon": 1, "id": "com.example.test", "defs": {
                  "main": {"type": "record", "key": "any", "record": {"type": "object",
                    "required": ["req"], "nullable": ["maybe", "req"],
                    "properties": {
                      "req": {"type": "string"},
                      "maybe": {"type": "integer"},
                      "open": {"type": "union", "refs": ["#a"]},
                      "closed": {"type": "union", "refs": ["#a", "com.example.other"], "closed": true},
                      "any": {"type": "unknown"},
                      "bytes": {"type": "bytes", "minLength": 1, "maxLength": 2},
                      "link": {"type": "cid-link"},
                      "flag": {"type": "boolean", "const": true},
                      "token": {"type": "ref", "ref": "#tok"},
                      "missing": {"type": "ref", "ref": "com.example.nowhere#x"},
                      "nested": {"type": "array", "items": {"type": "array", "items": {"type": "integer", "maximum": 5}}}
                    }}},
                  "a": {"type": "object", "required": ["x"], "properties": {"x": {"type": "integer"}}},
                  "tok": {"type": "token"}
                }}
                """#),
        LexiconDocument(
            json: #"""
                {"lexicon": 1, "id": "com.example.other", "defs": {
                  "main": {"type": "record", "key": "tid", "record": {"type": "object", "properties": {"y": {"type": "boolean"}}}}
                }}
                """#),
    ])

    private func check(_ fields: [String: DataValue]) throws -> LexiconValidationStatus {
        let registry = try #require(Self.registry)
        var record = fields
        record["$type"] = "com.example.test"
        if record.index(forKey: "req") == nil { record["req"] = "x" }
        return try registry.validateRecord(collection: "com.example.test", value: .map(record), rkey: "k")
    }

    private func expectError(
        _ fields: [String: DataValue], _ expected: String, kind: LexiconValidationError.Kind = .invalidData,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: LexiconValidationError.self, sourceLocation: sourceLocation) { try check(fields) }
        #expect(error?.kind == kind, sourceLocation: sourceLocation)
        #expect(error?.description == expected, sourceLocation: sourceLocation)
    }

    @Test("nullable and required")
    func nullable() throws {
        #expect(try check(["req": nil, "maybe": nil]) == .valid)
        #expect(try check(["maybe": 3]) == .valid)
        expectError(["maybe": "3"], "Record/maybe must be an integer")
        let registry = try #require(Self.registry)
        let error = #expect(throws: LexiconValidationError.self) {
            try registry.validateRecord(
                collection: "com.example.test", value: ["$type": "com.example.test"], rkey: "k")
        }
        #expect(error?.description == "Record must have the property \"req\"")
    }

    @Test("open and closed unions")
    func unions() throws {
        #expect(try check(["open": ["$type": "com.example.test#a", "x": 1]]) == .valid)
        #expect(try check(["open": ["$type": "com.example.unknown", "anything": true]]) == .valid)
        expectError(["open": ["$type": "com.example.test#a"]], "Record/open must have the property \"x\"")
        expectError(["open": ["x": 1]], "Record/open must be an object which includes the \"$type\" property")
        expectError(
            ["open": ["$type": 5, "x": 1]], "Record/open must be an object which includes the \"$type\" property")
        // A record type as a union variant, named with or without #main.
        #expect(try check(["closed": ["$type": "com.example.other", "y": true]]) == .valid)
        #expect(try check(["closed": ["$type": "com.example.other#main", "y": true]]) == .valid)
        expectError(["closed": ["$type": "com.example.other", "y": 1]], "Record/closed/y must be a boolean")
        expectError(
            ["closed": ["$type": "com.example.unknown"]],
            "Record/closed $type must be one of com.example.test#a, com.example.other, found com.example.unknown")
    }

    @Test("unknown must be an object and not a blob")
    func unknownType() throws {
        #expect(try check(["any": ["whatever": [1, 2]]]) == .valid)
        #expect(try check(["any": ["$type": "com.example.test#a"]]) == .valid)
        expectError(["any": "text"], "Record/any must be an object")
        expectError(["any": .bytes([1])], "Record/any must be an object")
        expectError(
            ["any": BlobRef(ref: CID.raw(hashing: [1]), mimeType: "image/png", size: 1).dataValue],
            "Record/any must be an object, not a blob")
    }

    @Test("bytes, cid-link, boolean const and nested arrays")
    func scalars() throws {
        #expect(try check(["bytes": .bytes([1, 2]), "link": .link(CID.raw(hashing: [1])), "flag": true]) == .valid)
        expectError(["bytes": .bytes([])], "Record/bytes must not be smaller than 1 bytes")
        expectError(["bytes": .bytes([1, 2, 3])], "Record/bytes must not be larger than 2 bytes")
        expectError(["link": .string(CID.raw(hashing: [1]).string)], "Record/link must be a CID")
        expectError(["flag": false], "Record/flag must be true")
        #expect(try check(["nested": [[1, 2], [], [5]]]) == .valid)
        expectError(["nested": [[1], [2, 6]]], "Record/nested/1/1 can not be greater than 5")
    }

    @Test("references to a token or to a missing document are schema errors, not data errors")
    func badReferences() {
        expectError(
            ["token": ["a": 1]],
            "Record/token references com.example.test#tok, a token definition, which can not describe data",
            kind: .unresolvedReference)
        expectError(
            ["missing": ["a": 1]], "Record/missing Lexicon not found: com.example.nowhere#x", kind: .unresolvedReference
        )
        #expect(Self.registry?.unresolvedReferences.map(\.to) == ["com.example.nowhere#x", "com.example.test#tok"])
    }

    @Test("validate(_:against:) checks any definition")
    func validateAgainst() throws {
        let registry = try #require(Self.registry)
        try registry.validate(["x": 1], against: "com.example.test#a")
        let error = #expect(throws: LexiconValidationError.self) {
            try registry.validate(["x": "1"], against: "com.example.test#a", root: "Input")
        }
        #expect(error?.description == "Input/x must be an integer")
        #expect(throws: LexiconValidationError.self) {
            try registry.validate(["y": true], against: "com.example.nowhere")
        }
        try registry.validate(["y": true], against: "com.example.other")
    }
}
