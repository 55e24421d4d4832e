import Testing

@testable import ATProto

@Suite struct ATURITests {
    @Test func components() throws {
        let uri = try ATURI("at://did:plc:asdf123/app.bsky.feed.post/3jzfcijpj2z2a")
        #expect(uri.authority == .did(try DID("did:plc:asdf123")))
        #expect(uri.collection == (try NSID("app.bsky.feed.post")))
        #expect(uri.rkey == (try RecordKey("3jzfcijpj2z2a")))
        #expect(uri.string == "at://did:plc:asdf123/app.bsky.feed.post/3jzfcijpj2z2a")

        let repo = try ATURI("at://alice.test")
        #expect(repo.authority.handle == (try Handle("alice.test")))
        #expect(repo.authority.did == nil)
        #expect(repo.collection == nil)
        #expect(repo.rkey == nil)

        let collection = try ATURI("at://alice.test/app.bsky.feed.like")
        #expect(collection.collection?.name == "like")
        #expect(collection.rkey == nil)
    }

    @Test func buildFromParts() throws {
        let did = AtIdentifier.did(try DID("did:plc:abc"))
        let nsid = try NSID("app.bsky.feed.post")
        let rkey = try RecordKey("self")
        let record = ATURI(authority: did, collection: nsid, rkey: rkey)
        #expect(record.string == "at://did:plc:abc/app.bsky.feed.post/self")
        #expect(record == (try ATURI(record.string)))
        #expect(ATURI(authority: did).string == "at://did:plc:abc")
        #expect(ATURI(authority: did, collection: nsid).string == "at://did:plc:abc/app.bsky.feed.post")
    }

    @Test func restrictedForm() {
        #expect(!ATURI.isValid("at://did:plc:abc/"))
        #expect(!ATURI.isValid("at://did:plc:abc/app.bsky.feed.post/"))
        #expect(!ATURI.isValid("at://did:plc:abc//self"))
        #expect(!ATURI.isValid("at://did:plc:abc/app.bsky.feed.post/self/more"))
        #expect(!ATURI.isValid("at://did:plc:abc?x=1"))
        #expect(!ATURI.isValid("at://did:plc:abc/app.bsky.feed.post/self#/text"))
        #expect(!ATURI.isValid("at://"))
        #expect(!ATURI.isValid("at:///app.bsky.feed.post"))
        #expect(!ATURI.isValid("at://@alice.test"))
        #expect(!ATURI.isValid("at://user:pass@alice.test"))
        #expect(!ATURI.isValid("at://alice.test:3000"))
        #expect(!ATURI.isValid("https://alice.test"))
        #expect(!ATURI.isValid("at://did:plc:abc/app.bsky.feed.post/."))
    }

    @Test func lengthLimit() {
        let base = "at://did:plc:asdf123/com.atproto.feed.post/"
        #expect(ATURI.isValid(base + String(repeating: "o", count: 512)))
        #expect(!ATURI.isValid(base + String(repeating: "o", count: 8200)))
    }

    @Test func errorsNameThePart() {
        do {
            _ = try ATURI("at://did:plc:abc/not_an_nsid/self")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == "at-uri")
            #expect(error.message.contains("collection"))
        }
        do {
            _ = try ATURI("at://did:plc:abc/app.bsky.feed.post/a b")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("record key"))
        }
    }
}
