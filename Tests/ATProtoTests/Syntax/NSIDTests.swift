import Testing

@testable import ATProto

@Suite struct NSIDTests {
    @Test func parts() throws {
        let nsid = try NSID("app.bsky.feed.post")
        #expect(nsid.segments == ["app", "bsky", "feed", "post"])
        #expect(nsid.authority == "feed.bsky.app")
        #expect(nsid.name == "post")
        #expect(try NSID(authority: "feed.bsky.app", name: "post") == nsid)
        #expect(throws: SyntaxError.self) { try NSID(authority: "bsky.app", name: "2post") }
    }

    @Test func lengthLimits() {
        let seg63 = String(repeating: "a", count: 63)
        #expect(NSID.isValid("com.\(seg63).foo"))
        #expect(!NSID.isValid("com.\(seg63)a.foo"))
        #expect(NSID.isValid("com.example.\(seg63)"))
        #expect(!NSID.isValid("com.example.\(seg63)a"))
        // 317 characters overall is the maximum.
        let segments = ["com"] + Array(repeating: seg63, count: 4) + [String(repeating: "b", count: 57)]
        let max = segments.joined(separator: ".")
        #expect(max.utf8.count == 317)
        #expect(NSID.isValid(max))
        #expect(!NSID.isValid(max + "b"))
    }

    @Test func rules() {
        #expect(NSID.isValid("a.b.c"))
        #expect(NSID.isValid("com.example.fooBarV2"))
        #expect(NSID.isValid("one.2.three"))
        #expect(!NSID.isValid("com.example"))
        #expect(!NSID.isValid("2com.example.foo"))
        #expect(!NSID.isValid("com.example.2foo"))
        #expect(!NSID.isValid("com.example.foo-bar"))
        #expect(!NSID.isValid("com.-example.foo"))
        #expect(!NSID.isValid("com.example-.foo"))
        #expect(!NSID.isValid("com..example.foo"))
        #expect(!NSID.isValid("com.example.foo."))
        #expect(!NSID.isValid("com.example.*"))
        #expect(!NSID.isValid("com.example.foo#main"))
        #expect(!NSID.isValid(""))
    }

    @Test func caseIsKept() throws {
        #expect(try NSID("Com.Example.FooBar").string == "Com.Example.FooBar")
        #expect(try NSID("com.example.fooBar") != NSID("com.example.foobar"))
    }
}
