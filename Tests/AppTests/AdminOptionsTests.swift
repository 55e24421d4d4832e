import ArgumentParser
import Testing

@testable import App

@Suite struct AdminOptionsTests {
    static func options(_ arguments: [String]) throws -> AdminOptions {
        try AdminOptions.parse(arguments)
    }

    @Test func defaultURLIsTheConfiguredPortOnLoopback() throws {
        let options = try Self.options([])
        #expect(try options.baseURL(port: 2583, bindAddress: "127.0.0.1") == "http://127.0.0.1:2583")
        #expect(try options.baseURL(port: 8080, bindAddress: "0.0.0.0") == "http://127.0.0.1:8080")
        #expect(try options.baseURL(port: 8080, bindAddress: "::1") == "http://[::1]:8080")
        #expect(try options.baseURL(port: 8080, bindAddress: "10.0.0.5") == "http://10.0.0.5:8080")
        // Port 0 is picked at start: the URL must be given.
        #expect(throws: AdminCommandError.self) { try options.baseURL(port: 0, bindAddress: "127.0.0.1") }
    }

    @Test func urlFlagWinsAndMustBeHTTP() throws {
        #expect(try Self.options(["--url", "https://pds.example.com"]).baseURL(port: 1, bindAddress: "x") == "https://pds.example.com")
        #expect(throws: AdminCommandError.self) { try Self.options(["--url", "ftp://x"]).baseURL(port: 1, bindAddress: "x") }
        #expect(throws: AdminCommandError.self) { try Self.options(["--url", "not a url"]).baseURL(port: 1, bindAddress: "x") }
        #expect(try Self.options(["--json"]).json)
    }

    @Test func tablesAlignColumnsAndKeys() {
        let table = TextTable.render(header: ["DID", "HANDLE"], rows: [["did:plc:a", "alice.test"], ["did:plc:bbbbbb", "b.test"]])
        #expect(table == "DID             HANDLE\ndid:plc:a       alice.test\ndid:plc:bbbbbb  b.test\n")
        let pairs: [(String, String?)] = [("did", "did:plc:a"), ("password", nil), ("handle", "a.test")]
        #expect(TextTable.keyValues(pairs) == "did:    did:plc:a\nhandle: a.test\n")
    }

    @Test func generatedPasswordsAreLongAndDiffer() {
        let first = AccountCommand.generatePassword()
        #expect(first.count == 24)
        #expect(first != AccountCommand.generatePassword())
    }
}
