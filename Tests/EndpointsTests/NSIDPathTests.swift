import Testing

@testable import Endpoints

@Suite struct NSIDPathTests {
    @Test func validVectors() throws {
        let lines = try Interop.lines("syntax/nsid_syntax_valid.txt")
        #expect(lines.count > 20)
        for nsid in lines {
            #expect(NSIDPath.isValid(Substring(nsid)), "should be valid: \(nsid)")
        }
    }

    @Test func invalidVectors() throws {
        let lines = try Interop.lines("syntax/nsid_syntax_invalid.txt")
        #expect(lines.count > 20)
        for nsid in lines {
            #expect(!NSIDPath.isValid(Substring(nsid)), "should be invalid: \(nsid)")
        }
    }

    @Test func pathExtraction() {
        #expect(NSIDPath.nsid(fromPath: "/xrpc/com.example.nsid") == "com.example.nsid")
        #expect(NSIDPath.nsid(fromPath: "/xrpc/com.example.nsid/") == "com.example.nsid")
        #expect(NSIDPath.nsid(fromPath: "/xrpc/com.example-domain.nsid") == "com.example-domain.nsid")
        #expect(NSIDPath.nsid(fromPath: "/xrpc/a") == nil)
        #expect(NSIDPath.nsid(fromPath: "/xrpc/") == nil)
        #expect(NSIDPath.nsid(fromPath: "/xrpc") == nil)
        #expect(NSIDPath.nsid(fromPath: "/xrpc/123/extra") == nil)
        #expect(NSIDPath.nsid(fromPath: "/xrpc/com.example.nsid/extra") == nil)
        #expect(NSIDPath.nsid(fromPath: "/foo/com.example.nsid") == nil)
        #expect(NSIDPath.nsid(fromPath: "/xrpc/com.example.nsid.") == nil)
        #expect(NSIDPath.nsid(fromPath: "/xrpc/com..example.nsid") == nil)
        #expect(NSIDPath.nsid(fromPath: "/xrpc/com.example.nsid//") == nil)
    }
}
