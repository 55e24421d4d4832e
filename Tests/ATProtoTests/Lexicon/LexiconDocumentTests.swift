import Testing

@testable import ATProto

@Suite("Lexicon document parsing")
struct LexiconDocumentTests {
    /// A document `com.example.test` whose `defs` is the given JSON object text.
    private func document(defs: String) throws(LexiconDocumentError) -> LexiconDocument {
        try LexiconDocument(json: #"{"lexicon": 1, "id": "com.example.test", "defs": \#(defs)}"#)
    }

    /// Expects `defs` to be refused with exactly `expected` as the error description.
    private func expectRefused(_ defs: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: LexiconDocumentError.self, sourceLocation: sourceLocation) {
            _ = try document(defs: defs)
        }
        #expect(error?.description == expected, sourceLocation: sourceLocation)
    }

    @Test("references are made absolute")
    func references() throws {
        let parsed = try document(
            defs: #"""
                {"main": {"type": "object", "properties": {
                    "local": {"type": "ref", "ref": "#other"},
                    "bare": {"type": "ref", "ref": "com.example.elsewhere"},
                    "named": {"type": "union", "refs": ["com.example.elsewhere#view", "#other"]}}},
                 "other": {"type": "object", "properties": {}}}
                """#)
        guard case .object(let object) = parsed.main else {
            Issue.record("main is not an object")
            return
        }
        #expect(object.properties["local"] == .ref("com.example.test#other"))
        #expect(object.properties["bare"] == .ref("com.example.elsewhere#main"))
        #expect(
            object.properties["named"]
                == .union(LexiconUnion(refs: ["com.example.elsewhere#view", "com.example.test#other"])))
        #expect(
            parsed.main?.references.sorted()
                == [
                    "com.example.elsewhere#main", "com.example.elsewhere#view", "com.example.test#other",
                    "com.example.test#other",
                ])
    }

    @Test("document-level fields are checked")
    func documentFields() {
        #expect(throws: LexiconDocumentError.self) { _ = try LexiconDocument(json: "[]") }
        #expect(throws: LexiconDocumentError.self) { _ = try LexiconDocument(json: "{not json") }
        #expect(throws: LexiconDocumentError.self) {
            _ = try LexiconDocument(
                json: #"{"lexicon": 2, "id": "com.example.test", "defs": {"a": {"type": "token"}}}"#)
        }
        #expect(throws: LexiconDocumentError.self) {
            _ = try LexiconDocument(json: #"{"lexicon": 1, "id": "com.example.test"}"#)
        }
        expectRefused("{}", "defs: must have at least one definition")
        #expect(throws: Never.self) {
            _ = try LexiconDocument(
                json:
                    #"{"lexicon": 1, "id": "com.example.test", "revision": 3, "unknownField": true, "defs": {"a": {"type": "token"}}}"#
            )
        }
    }

    @Test("definitions are refused where the spec does not allow them, with the path")
    func placement() {
        expectRefused(
            #"{"main": {"type": "params", "properties": {}}}"#, "defs/main: type \"params\" can not be a named definition")
        expectRefused(
            #"{"view": {"type": "query"}}"#,
            "defs/view: a query definition must be the main definition (named \"main\")")
        expectRefused(
            #"{"main": {"type": "object", "properties": {"t": {"type": "token"}}}}"#,
            "defs/main/properties/t: type \"token\" is not allowed here (expected boolean, integer, string, bytes, cid-link, blob, array, object, ref, union, unknown)"
        )
        expectRefused(
            #"{"main": {"type": "query", "parameters": {"type": "params", "properties": {"o": {"type": "object", "properties": {}}}}}}"#,
            "defs/main/parameters/properties/o: type \"object\" is not allowed here (expected boolean, integer, string, unknown, array)"
        )
        expectRefused(
            #"{"main": {"type": "subscription", "message": {"schema": {"type": "object", "properties": {}}}}}"#,
            "defs/main/message/schema: type \"object\" is not allowed here (expected union)")
        expectRefused(
            #"{"main": {"type": "procedure", "input": {"encoding": "application/json", "schema": {"type": "string"}}}}"#,
            "defs/main/input/schema: type \"string\" is not allowed here (expected object, ref, union)")
        expectRefused(
            #"{"main": {"type": "float"}}"#,
            "defs/main: type \"float\" is not allowed here (expected boolean, integer, string, bytes, cid-link, blob, array, object, token, record, query, procedure, subscription, permission-set)"
        )
    }

    @Test("schema fields are checked")
    func schemaFields() {
        expectRefused(
            #"{"main": {"type": "string", "format": "email"}}"#, "defs/main/format: unknown string format \"email\"")
        expectRefused(
            #"{"main": {"type": "string", "maxLength": -1}}"#, "defs/main/maxLength: must be a non-negative integer")
        expectRefused(
            #"{"main": {"type": "integer", "default": 1, "const": 2}}"#,
            "defs/main: \"const\" and \"default\" are mutually exclusive")
        expectRefused(
            #"{"main": {"type": "integer", "enum": [1, "2"]}}"#, "defs/main/enum/1: must be an integer, found string")
        expectRefused(
            #"{"main": {"type": "object", "required": ["a"], "properties": {"b": {"type": "boolean"}}}}"#,
            "defs/main/required/0: required property \"a\" is not defined in properties")
        expectRefused(#"{"main": {"type": "object"}}"#, "defs/main/properties: is required")
        expectRefused(#"{"main": {"type": "array"}}"#, "defs/main/items: is required")
        expectRefused(
            #"{"main": {"type": "blob", "accept": ["image/png", "*"]}}"#,
            "defs/main/accept/1: \"*\" is not a MIME type pattern (type/subtype, type/* or */*)")
        expectRefused(
            #"{"main": {"type": "object", "properties": {"u": {"type": "union", "refs": [], "closed": true}}}}"#,
            "defs/main/properties/u/refs: a closed union must list at least one ref")
        expectRefused(
            #"{"main": {"type": "object", "properties": {"r": {"type": "ref", "ref": "a#b#c"}}}}"#,
            "defs/main/properties/r/ref: \"a#b#c\" has more than one '#'")
        expectRefused(
            #"{"main": {"type": "object", "properties": {"r": {"type": "ref", "ref": "not-an-nsid"}}}}"#,
            "defs/main/properties/r/ref: \"not-an-nsid\" is not a reference (nsid, nsid#name or #name)")
        expectRefused(
            #"{"main": {"type": "record", "record": {"type": "object", "properties": {}}}}"#,
            "defs/main/key: is required")
        expectRefused(
            #"{"main": {"type": "record", "key": "literal:", "record": {"type": "object", "properties": {}}}}"#,
            "defs/main/key: \"literal:\" is not a record key type (tid, nsid, any or literal:<key>)")
        expectRefused(
            #"{"main": {"type": "permission-set", "title:lang": {"not a tag": "x"}, "permissions": []}}"#,
            "defs/main/title:lang/not a tag: is not a valid language tag")
        expectRefused(
            #"{"main": {"type": "permission-set", "permissions": [{"type": "permission", "resource": "repo", "x": {"a": 1}}]}}"#,
            "defs/main/permissions/0/x: must be a string, integer, boolean, or an array of those")
    }

    @Test("record key types parse and check keys")
    func recordKeyTypes() {
        #expect(LexiconRecordKeyType("tid") == .tid)
        #expect(LexiconRecordKeyType("literal:self") == .literal("self"))
        #expect(LexiconRecordKeyType("literal:..") == nil)
        #expect(LexiconRecordKeyType("self") == nil)
        #expect(LexiconRecordKeyType.any.violation("anything-goes:~") == nil)
        #expect(LexiconRecordKeyType.any.violation("has space") != nil)
        #expect(LexiconRecordKeyType.nsid.violation("com.example.thing") == nil)
        #expect(LexiconRecordKeyType.nsid.violation("self") != nil)
        #expect(LexiconRecordKeyType.tid.violation("3k2la3b4c5d6e") == nil)
        #expect(LexiconRecordKeyType.tid.violation("3k2la3b4c5d6") != nil)
    }

    @Test("blob accept patterns")
    func blobAccept() {
        let images = LexiconBlob(accept: ["image/*", "video/mp4"])
        #expect(images.accepts(mimeType: "image/png"))
        #expect(images.accepts(mimeType: "video/mp4"))
        #expect(!images.accepts(mimeType: "video/webm"))
        #expect(!images.accepts(mimeType: "imagex/png"))
        #expect(LexiconBlob(accept: ["*/*"]).accepts(mimeType: "text/plain"))
        #expect(LexiconBlob().accepts(mimeType: "text/plain"))
        #expect(!LexiconBlob(accept: []).accepts(mimeType: "text/plain"))
    }

    @Test("a registry refuses two documents with one NSID")
    func duplicateDocuments() throws {
        let doc = try document(defs: #"{"main": {"type": "token"}}"#)
        #expect(throws: LexiconDocumentError.self) { _ = try LexiconRegistry([doc, doc]) }
    }
}
