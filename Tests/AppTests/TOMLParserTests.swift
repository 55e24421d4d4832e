import Testing

@testable import App

@Suite struct TOMLParserTests {
    @Test func parsesTheSupportedSubset() throws {
        let document = try TOMLDocument(
            parsing: """
                # comment
                top = "level"   # trailing comment

                [server]
                hostname = "pds.example.com"
                port = 3_000
                negative = -5
                invite_required = false
                literal = 'C:\\path\\no escapes'
                escaped = "tab\\tquote\\"unicode\\u00e9\\U0001F600"
                empty = ""

                [firehose.nested]
                crawlers = [
                  "https://bsky.network", # first
                  'https://relay.example',
                ]
                none = []
                """)
        #expect(document["top"]?.value == .string("level"))
        #expect(document["server.hostname"]?.value == .string("pds.example.com"))
        #expect(document["server.hostname"]?.line == 5)
        #expect(document["server.port"]?.value == .integer(3000))
        #expect(document["server.negative"]?.value == .integer(-5))
        #expect(document["server.invite_required"]?.value == .boolean(false))
        #expect(document["server.literal"]?.value == .string("C:\\path\\no escapes"))
        #expect(document["server.escaped"]?.value == .string("tab\tquote\"unicode\u{e9}\u{1F600}"))
        #expect(document["server.empty"]?.value == .string(""))
        #expect(
            document["firehose.nested.crawlers"]?.value
                == .stringArray(["https://bsky.network", "https://relay.example"]))
        #expect(document["firehose.nested.none"]?.value == .stringArray([]))
        #expect(document.tables["server"] == 4)
        #expect(document.keys.first == "top")
    }

    @Test func acceptsCRLFAndNoFinalNewline() throws {
        let document = try TOMLDocument(parsing: "[a]\r\nb = 1\r\nc = \"x\"")
        #expect(document["a.b"]?.value == .integer(1))
        #expect(document["a.c"]?.value == .string("x"))
    }

    @Test(arguments: [
        ("a = 1.5", 1, "floats"),
        ("a = 1979-05-27", 1, "dates"),
        ("a = \"\"\"multi\"\"\"", 1, "multi-line"),
        ("a = '''multi'''", 1, "multi-line"),
        ("a = { b = 1 }", 1, "inline tables"),
        ("\n[[servers]]", 2, "arrays of tables"),
        ("a.b = 1", 1, "dotted keys"),
        ("\"a\" = 1", 1, "quoted keys"),
        ("a = 1\na = 2", 2, "defined twice"),
        ("[t]\n[t]", 2, "defined twice"),
        ("a = \"open", 1, "unterminated"),
        ("a = \"line\nbreak\"", 1, "newline inside quotes"),
        ("a = [1, 2]", 1, "array of strings"),
        ("a = [\"x\" \"y\"]", 1, "expected ','"),
        ("a = [\"x\"", 1, "unterminated array"),
        ("a = yes", 1, "strings need quotes"),
        ("a = tru", 1, "strings need quotes"),
        ("a = 012", 1, "invalid integer"),
        ("a = 1__0", 1, "invalid integer"),
        ("a = 99999999999999999999", 1, "invalid integer"),
        ("a = \"bad \\q escape\"", 1, "invalid escape"),
        ("a = \"\\u12\"", 1, "hex digits"),
        ("a = 1 b = 2", 1, "after value"),
        ("a =", 1, "missing value"),
        ("a 1", 1, "expected '='"),
        ("[t", 1, "expected ']'"),
        ("= 1", 1, "expected a key"),
        ("a = 1\rb = 2", 1, "carriage return"),
    ])
    func rejectsWithLineAndReason(_ text: String, _ line: Int, _ reason: String) {
        let error = #expect(throws: TOMLError.self) { _ = try TOMLDocument(parsing: text) }
        #expect(error?.line == line)
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func quotingRoundTrips() throws {
        let tricky = "quote\" back\\slash\nnew\ttab\u{01}é"
        let document = try TOMLDocument(parsing: "k = \(TOMLValue.quote(tricky))")
        #expect(document["k"]?.value == .string(tricky))
    }
}
