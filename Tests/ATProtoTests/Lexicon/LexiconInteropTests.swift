import Testing

@testable import ATProto

/// The public atproto interop vectors for Lexicon documents and record data (`lexicon/*`).
@Suite("Lexicon interop vectors")
struct LexiconInteropTests {
    /// The cases of a vector file: a JSON array of objects.
    private func cases(_ path: String) throws -> [[String: DataValue]] {
        let value = try AtprotoJSON.parse([UInt8](try Interop.data(path)))
        let items = try #require(value.arrayValue, "\(path) is not a JSON array")
        return try items.map { item in try #require(item.mapValue, "\(path) has a case that is not an object") }
    }

    private func catalogRegistry() throws -> LexiconRegistry {
        try LexiconRegistry([try LexiconDocument(json: [UInt8](try Interop.data("lexicon/catalog/record.json")))])
    }

    @Test("lexicon-valid.json: every document parses")
    func validDocuments() throws {
        let cases = try cases("lexicon/lexicon-valid.json")
        #expect(cases.count == 3)
        for testCase in cases {
            let name = testCase["name"]?.stringValue ?? "?"
            let lexicon = try #require(testCase["lexicon"])
            #expect(throws: Never.self, "\(name)") { _ = try LexiconDocument(lexicon) }
        }
    }

    @Test("lexicon-invalid.json: every document is refused")
    func invalidDocuments() throws {
        let cases = try cases("lexicon/lexicon-invalid.json")
        #expect(cases.count == 7)
        // Where each case is wrong, so that a refusal for another reason does not pass.
        let expectedPaths = [
            "invalid lexicon field": "lexicon", "invalid id field": "id", "invalid NSID": "id",
            "defined unknown": "defs/demo", "defined ref": "defs/demo", "non-main primary": "defs/demo",
            "record missing type object": "defs/main/record/type",
        ]
        for testCase in cases {
            let name = testCase["name"]?.stringValue ?? "?"
            let lexicon = try #require(testCase["lexicon"])
            let error = #expect(throws: LexiconDocumentError.self, "\(name)") { _ = try LexiconDocument(lexicon) }
            #expect(error?.path == expectedPaths[name], "\(name): \(error?.description ?? "no error")")
        }
    }

    @Test(
        "catalog documents parse",
        arguments: ["permission-set", "procedure", "query", "record", "subscription"])
    func catalogDocument(name: String) throws {
        let document = try LexiconDocument(json: [UInt8](try Interop.data("lexicon/catalog/\(name).json")))
        #expect(document.id.string == "example.lexicon.\(name == "permission-set" ? "permissionset" : name)")
        #expect(document.main != nil)
    }

    @Test("catalog/record.json: the parsed schema has what the file declares")
    func catalogRecordShape() throws {
        let document = try LexiconDocument(json: [UInt8](try Interop.data("lexicon/catalog/record.json")))
        #expect(document.defs.count == 5)
        guard case .record(let record) = document.main else {
            Issue.record("main is not a record")
            return
        }
        #expect(record.key == .literal("demo"))
        #expect(record.record.required == ["integer"])
        #expect(record.record.nullable == ["nullableString"])
        #expect(record.record.properties["ref"] == .ref("example.lexicon.record#demoObject"))
        #expect(
            record.record.properties["closedUnion"]
                == .union(LexiconUnion(refs: ["example.lexicon.record#demoObject"], closed: true)))
        #expect(record.record.properties["acceptBlob"] == .blob(LexiconBlob(accept: ["image/*"])))
        guard case .string(let string) = record.record.properties["graphemeString"] else {
            Issue.record("graphemeString is not a string")
            return
        }
        #expect(string.minGraphemes == 10 && string.maxGraphemes == 20)
        #expect(document.defs["demoToken"] == .token)
    }

    @Test("catalog/permission-set.json: permissions keep their parameters")
    func catalogPermissionSet() throws {
        let document = try LexiconDocument(json: [UInt8](try Interop.data("lexicon/catalog/permission-set.json")))
        guard case .permissionSet(let set) = document.main else {
            Issue.record("main is not a permission-set")
            return
        }
        #expect(set.permissions.count == 6)
        #expect(set.titleLang["fr"] == "Example for Modération")
        #expect(set.permissions[0].resource == "repo")
        #expect(set.permissions[0].strings("action") == ["delete", "create"])
        #expect(set.permissions[4].parameters["inheritAud"] == .bool(true))
    }

    @Test("record-data-valid.json: every record validates against catalog/record.json")
    func validRecordData() throws {
        let registry = try catalogRegistry()
        let cases = try cases("lexicon/record-data-valid.json")
        #expect(cases.count == 3)
        for testCase in cases {
            let name = testCase["name"]?.stringValue ?? "?"
            let data = try #require(testCase["data"])
            let rkey = try #require(testCase["rkey"]?.stringValue)
            #expect(throws: Never.self, "\(name)") {
                let status = try registry.validateRecord(collection: "example.lexicon.record", value: data, rkey: rkey)
                #expect(status == .valid, "\(name)")
            }
        }
    }

    /// Every invalid case must fail, and fail at the field the case is about: the one field it sets
    /// besides `$type` and the required `integer`. Cases that also omit `integer` are re-run with it
    /// added, so that they are not rejected only for the missing required field.
    @Test("record-data-invalid.json: every record is refused at the right field")
    func invalidRecordData() throws {
        let registry = try catalogRegistry()
        let cases = try cases("lexicon/record-data-invalid.json")
        #expect(cases.count == 50)
        for testCase in cases {
            let name = testCase["name"]?.stringValue ?? "?"
            let data = try #require(testCase["data"]?.mapValue)
            let rkey = try #require(testCase["rkey"]?.stringValue)
            let fields = Set(data.keys).subtracting(["$type", "integer"])
            let expectedPath: String
            if let field = fields.first, fields.count == 1 {
                expectedPath = "Record/\(field)"
            } else if data["integer"] != nil {
                expectedPath = "Record/integer"
            } else {
                expectedPath = "Record"
            }
            var variants = [data]
            if data["integer"] == nil, !fields.isEmpty {
                var withInteger = data
                withInteger["integer"] = .int(1)
                variants.append(withInteger)
            }
            for (index, variant) in variants.enumerated() {
                let error = #expect(throws: LexiconValidationError.self, "\(name) (variant \(index))") {
                    try registry.validateRecord(collection: "example.lexicon.record", value: .map(variant), rkey: rkey)
                }
                #expect(error?.kind == .invalidData, "\(name)")
                if index == variants.count - 1 {
                    #expect(
                        error?.path.hasPrefix(expectedPath) == true,
                        "\(name): \(error?.description ?? "no error") is not about \(expectedPath)")
                }
            }
        }
    }

    @Test("record-data-valid.json data fails under another collection or record key")
    func validDataWrongContext() throws {
        let registry = try catalogRegistry()
        let data = try #require(try cases("lexicon/record-data-valid.json").first?["data"])
        let keyError = #expect(throws: LexiconValidationError.self) {
            try registry.validateRecord(collection: "example.lexicon.record", value: data, rkey: "other")
        }
        #expect(keyError?.kind == .invalidRecordKey)
        #expect(
            try registry.validateRecord(collection: "example.lexicon.unknown", value: data, rkey: "demo") == .unknown)
    }
}
