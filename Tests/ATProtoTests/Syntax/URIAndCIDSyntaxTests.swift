import Testing

@testable import ATProto

@Suite struct URIAndCIDSyntaxTests {
    @Test func uri() {
        for uri in ["https://example.com", "at://did:plc:abc/app.bsky.feed.post/self", "mailto:alice@example.com",
            "did:web:example.com", "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
            "https://例え.jp/パス", "wss://relay.example.com/xrpc", "git+ssh://host/repo"]
        {
            #expect(URISyntax.isValid(uri), "\(uri)")
        }
        for uri in ["", "https:", "https://", "https:///path", "1http://x", "ht tp://x", "https://a b",
            "https://a\tb", "https://a\u{7F}", "https://a\u{00A0}b", "https://a\u{2028}b", "https://a\u{85}b", "noscheme"]
        {
            #expect(!URISyntax.isValid(uri), "\(uri.debugDescription)")
        }
        let prefix = "https://example.com/"
        #expect(URISyntax.isValid(prefix + String(repeating: "x", count: 8192 - prefix.utf8.count)))
        #expect(!URISyntax.isValid(prefix + String(repeating: "x", count: 8193 - prefix.utf8.count)))
    }

    @Test func cid() {
        #expect(CIDSyntax.isValid("bafyreihffx5a2e7k5uwrmmgofbvzujc5cmw5h4espouwuxt3liqoflx3ee"))
        #expect(CIDSyntax.isValid("bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"))
        #expect(!CIDSyntax.isValid("QmY7Yh4UquoXHLPFo2XbhXkhBvFoPwmQUSa92pxnxjQuPU"))
        #expect(!CIDSyntax.isValid("bafy"))
        #expect(!CIDSyntax.isValid(String(repeating: "b", count: 257)))
        #expect(CIDSyntax.isValid(String(repeating: "b", count: 256)))
        #expect(!CIDSyntax.isValid("bafyrei/hffx5a2e7k5uw"))
    }
}
