import Testing

@testable import ATProto

/// Realistic records of the bundled types, valid and invalid, with the error paths a client sees.
@Suite("Record validation with the bundled lexicons")
struct LexiconRecordValidationTests {
    static let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
    static let postURI = "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k2la3b4c5d6e"
    static let postCID = CID.dagCBOR(hashing: Array("a post".utf8)).string
    static let createdAt = "2024-11-25T10:59:41.123Z"
    static let tid = "3k2la3b4c5d6e"

    static func blob(_ mimeType: String, size: Int64) -> DataValue {
        BlobRef(ref: CID.raw(hashing: Array("image bytes".utf8)), mimeType: mimeType, size: size).dataValue
    }

    static var strongRef: DataValue { ["uri": .string(postURI), "cid": .string(postCID)] }

    /// A post with text, facets (mention, link, tag), two images with alt text and aspect ratio, a reply,
    /// languages, self-labels and tags.
    static var fullPost: [String: DataValue] {
        [
            "$type": "app.bsky.feed.post",
            "text": "Hello @alice.bsky.social, see https://example.com #swift",
            "createdAt": .string(createdAt),
            "langs": ["en", "pt-BR"],
            "tags": ["atproto"],
            "facets": [
                [
                    "index": ["byteStart": 6, "byteEnd": 24],
                    "features": [["$type": "app.bsky.richtext.facet#mention", "did": .string(did)]],
                ],
                [
                    "index": ["byteStart": 30, "byteEnd": 49],
                    "features": [["$type": "app.bsky.richtext.facet#link", "uri": "https://example.com"]],
                ],
                [
                    "index": ["byteStart": 50, "byteEnd": 56],
                    "features": [["$type": "app.bsky.richtext.facet#tag", "tag": "swift"]],
                ],
            ],
            "embed": [
                "$type": "app.bsky.embed.images",
                "images": [
                    [
                        "image": blob("image/jpeg", size: 123_456), "alt": "a cat",
                        "aspectRatio": ["width": 1200, "height": 800],
                    ],
                    ["image": blob("image/png", size: 2_000_000), "alt": ""],
                ],
            ],
            "reply": ["root": strongRef, "parent": strongRef],
            "labels": [
                "$type": "com.atproto.label.defs#selfLabels",
                "values": [["val": "nudity"]],
            ],
        ]
    }

    private func validate(
        _ collection: String, _ value: [String: DataValue], rkey: String = tid
    ) throws(LexiconValidationError) -> LexiconValidationStatus {
        // `bundled` only fails when a bundled document does not parse, which BundledLexiconTests covers.
        guard let registry = try? LexiconRegistry.bundled else {
            throw LexiconValidationError(.unresolvedReference, path: "", "bundled lexicons did not load")
        }
        return try registry.validateRecord(collection: collection, value: .map(value), rkey: rkey)
    }

    /// Validates `value` expecting a data error whose description is `expected`.
    private func expectInvalid(
        _ value: [String: DataValue], _ expected: String, collection: String = "app.bsky.feed.post",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: LexiconValidationError.self, sourceLocation: sourceLocation) {
            try validate(collection, value)
        }
        #expect(error?.kind == .invalidData, sourceLocation: sourceLocation)
        #expect(error?.description == expected, sourceLocation: sourceLocation)
    }

    // MARK: Valid

    @Test("a minimal post and a full post are valid")
    func validPosts() throws {
        #expect(
            try validate(
                "app.bsky.feed.post",
                ["$type": "app.bsky.feed.post", "text": "hello", "createdAt": .string(Self.createdAt)]) == .valid)
        #expect(try validate("app.bsky.feed.post", Self.fullPost) == .valid)
    }

    @Test("a quote post with media, an external embed and a video embed are valid")
    func validEmbeds() throws {
        var post = Self.fullPost
        post["embed"] = [
            "$type": "app.bsky.embed.recordWithMedia",
            "record": ["$type": "app.bsky.embed.record", "record": Self.strongRef],
            "media": [
                "$type": "app.bsky.embed.external",
                "external": [
                    "uri": "https://example.com/article", "title": "An article", "description": "",
                    "thumb": Self.blob("image/webp", size: 50_000),
                ],
            ],
        ]
        #expect(try validate("app.bsky.feed.post", post) == .valid)
        post["embed"] = [
            "$type": "app.bsky.embed.video", "video": Self.blob("video/mp4", size: 10_000_000),
            "alt": "a clip", "aspectRatio": ["width": 16, "height": 9],
        ]
        #expect(try validate("app.bsky.feed.post", post) == .valid)
    }

    @Test("an open union accepts an embed type it does not know")
    func openUnionAcceptsUnknownVariant() throws {
        var post = Self.fullPost
        post["embed"] = ["$type": "com.example.embed.poll", "options": ["yes", "no"]]
        #expect(try validate("app.bsky.feed.post", post) == .valid)
    }

    @Test("300 graphemes are allowed even when they are many more bytes and scalars")
    func graphemeCounting() throws {
        var post = Self.fullPost
        // Each family emoji is one grapheme of 7 scalars and 25 UTF-8 bytes; 120 of them are 3000 bytes.
        post["text"] = .string(String(repeating: "👩‍👩‍👦‍👦", count: 120))
        #expect(try validate("app.bsky.feed.post", post) == .valid)
        post["text"] = .string(String(repeating: "é", count: 300))  // 300 graphemes, 600 bytes
        #expect(try validate("app.bsky.feed.post", post) == .valid)
    }

    @Test("other bundled record types validate")
    func otherRecordTypes() throws {
        let subject: DataValue = .string(Self.did)
        #expect(
            try validate(
                "app.bsky.actor.profile",
                [
                    "$type": "app.bsky.actor.profile", "displayName": "Alice", "description": "Hi there",
                    "avatar": Self.blob("image/png", size: 100_000), "pinnedPost": Self.strongRef,
                ], rkey: "self") == .valid)
        #expect(
            try validate(
                "app.bsky.feed.like",
                ["$type": "app.bsky.feed.like", "subject": Self.strongRef, "createdAt": .string(Self.createdAt)])
                == .valid)
        #expect(
            try validate(
                "app.bsky.graph.follow",
                ["$type": "app.bsky.graph.follow", "subject": subject, "createdAt": .string(Self.createdAt)])
                == .valid)
        #expect(
            try validate(
                "app.bsky.feed.threadgate",
                [
                    "$type": "app.bsky.feed.threadgate", "post": .string(Self.postURI),
                    "allow": [["$type": "app.bsky.feed.threadgate#mentionRule"]],
                    "createdAt": .string(Self.createdAt),
                ]) == .valid)
        #expect(
            try validate(
                "com.atproto.lexicon.schema",
                ["$type": "com.atproto.lexicon.schema", "lexicon": 1], rkey: "com.example.thing") == .valid)
    }

    @Test("a collection without a bundled schema is unknown, whatever its content")
    func unknownCollection() throws {
        #expect(try validate("com.example.thing", ["$type": "com.example.thing", "x": 1]) == .unknown)
        #expect(try validate("app.bsky.feed.defs", ["$type": "app.bsky.feed.defs"]) == .unknown)
    }

    @Test("the validate parameter: false skips, true requires a known schema, unset is optimistic")
    func validateParameter() throws {
        let registry = try LexiconRegistry.bundled
        let post = DataValue.map(Self.fullPost)
        var invalid = Self.fullPost
        invalid.removeValue(forKey: "text")
        let unknown: DataValue = ["$type": "com.example.thing"]
        #expect(
            try registry.validateRecord(collection: "app.bsky.feed.post", value: post, rkey: Self.tid, validate: nil)
                == .valid)
        #expect(
            try registry.validateRecord(collection: "app.bsky.feed.post", value: post, rkey: Self.tid, validate: true)
                == .valid)
        #expect(
            try registry.validateRecord(
                collection: "app.bsky.feed.post", value: .map(invalid), rkey: "self", validate: false)
                == nil)
        #expect(throws: LexiconValidationError.self) {
            try registry.validateRecord(
                collection: "app.bsky.feed.post", value: .map(invalid), rkey: Self.tid, validate: nil)
        }
        #expect(
            try registry.validateRecord(collection: "com.example.thing", value: unknown, rkey: "x", validate: nil)
                == .unknown)
        #expect(
            try registry.validateRecord(collection: "com.example.thing", value: unknown, rkey: "x", validate: false)
                == nil)
        let error = #expect(throws: LexiconValidationError.self) {
            try registry.validateRecord(collection: "com.example.thing", value: unknown, rkey: "x", validate: true)
        }
        #expect(error?.kind == .unknownLexicon)
        #expect(error?.description == "Unknown lexicon type: com.example.thing")
    }

    // MARK: Invalid

    @Test("text over 300 graphemes or 3000 bytes is refused at Record/text")
    func textTooLong() {
        var post = Self.fullPost
        post["text"] = .string(String(repeating: "a", count: 301))
        expectInvalid(post, "Record/text must not be longer than 300 graphemes")
        post["text"] = .string(String(repeating: "👩‍👩‍👦‍👦", count: 121))
        expectInvalid(post, "Record/text must not be longer than 3000 characters")
        post["text"] = .string(String(repeating: "é", count: 301))
        expectInvalid(post, "Record/text must not be longer than 300 graphemes")
    }

    @Test("a missing text or a malformed createdAt is refused")
    func requiredAndFormats() {
        var post = Self.fullPost
        post.removeValue(forKey: "text")
        expectInvalid(post, "Record must have the property \"text\"")
        post = Self.fullPost
        post["createdAt"] = "2024-11-25 10:59:41"
        expectInvalid(post, "Record/createdAt must be a valid atproto datetime (both RFC-3339 and ISO-8601)")
        post["createdAt"] = 1_732_532_381
        expectInvalid(post, "Record/createdAt must be a string")
    }

    @Test("errors deep inside embeds, facets, replies and langs carry the full path")
    func nestedPaths() {
        var post = Self.fullPost
        post["embed"] = [
            "$type": "app.bsky.embed.images", "images": [["image": Self.blob("image/png", size: 1), "alt": 5]],
        ]
        expectInvalid(post, "Record/embed/images/0/alt must be a string")

        post["embed"] = [
            "$type": "app.bsky.embed.images", "images": [["image": Self.blob("text/html", size: 1), "alt": ""]],
        ]
        expectInvalid(
            post, "Record/embed/images/0/image has mimeType text/html, which is not accepted (accepted: image/*)")

        post["embed"] = [
            "$type": "app.bsky.embed.images",
            "images": [["image": Self.blob("image/png", size: 2_000_001), "alt": ""]],
        ]
        expectInvalid(post, "Record/embed/images/0/image is too big (2000001 bytes, maximum 2000000)")

        post["embed"] = ["$type": "app.bsky.embed.images", "images": [["image": "not a blob", "alt": ""]]]
        expectInvalid(
            post,
            "Record/embed/images/0/image must be a blob ref ({\"$type\": \"blob\", \"ref\", \"mimeType\", \"size\"})")

        let five: [DataValue] = Array(repeating: ["image": Self.blob("image/png", size: 1), "alt": ""], count: 5)
        post["embed"] = ["$type": "app.bsky.embed.images", "images": .array(five)]
        expectInvalid(post, "Record/embed/images must not have more than 4 elements")

        post["embed"] = ["images": []]
        expectInvalid(post, "Record/embed must be an object which includes the \"$type\" property")

        post = Self.fullPost
        post["facets"] = [["index": ["byteStart": -1, "byteEnd": 2], "features": []]]
        expectInvalid(post, "Record/facets/0/index/byteStart can not be less than 0")
        post["facets"] = [
            [
                "index": ["byteStart": 0, "byteEnd": 2],
                "features": [["$type": "app.bsky.richtext.facet#link", "uri": "not a uri"]],
            ]
        ]
        expectInvalid(post, "Record/facets/0/features/0/uri must be a uri")

        post = Self.fullPost
        post["reply"] = ["root": Self.strongRef, "parent": ["uri": .string(Self.postURI)]]
        expectInvalid(post, "Record/reply/parent must have the property \"cid\"")

        post = Self.fullPost
        post["langs"] = ["en", "not a language"]
        expectInvalid(post, "Record/langs/1 must be a well-formed BCP 47 language tag")
        post["langs"] = ["en", "fr", "de", "ja"]
        expectInvalid(post, "Record/langs must not have more than 3 elements")
    }

    @Test("a $type that is missing or names another collection is refused")
    func typeMismatch() {
        var post = Self.fullPost
        post["$type"] = "app.bsky.feed.like"
        expectInvalid(post, "Record/$type must be app.bsky.feed.post, found app.bsky.feed.like")
        post.removeValue(forKey: "$type")
        expectInvalid(post, "Record/$type must be a string")
    }

    @Test("record keys are checked against the record's key type")
    func recordKeys() throws {
        let profile: [String: DataValue] = ["$type": "app.bsky.actor.profile", "displayName": "Alice"]
        #expect(try validate("app.bsky.actor.profile", profile, rkey: "self") == .valid)
        let profileError = #expect(throws: LexiconValidationError.self) {
            try validate("app.bsky.actor.profile", profile, rkey: Self.tid)
        }
        #expect(profileError?.kind == .invalidRecordKey)
        #expect(
            profileError?.description
                == "Invalid record key for app.bsky.actor.profile: \"3k2la3b4c5d6e\" must be \"self\"")

        let postError = #expect(throws: LexiconValidationError.self) {
            try validate("app.bsky.feed.post", Self.fullPost, rkey: "self")
        }
        #expect(postError?.kind == .invalidRecordKey)
        #expect(postError?.message.hasSuffix("must be a valid TID") == true)

        let schemaError = #expect(throws: LexiconValidationError.self) {
            try validate(
                "com.atproto.lexicon.schema", ["$type": "com.atproto.lexicon.schema", "lexicon": 1], rkey: "self")
        }
        #expect(schemaError?.kind == .invalidRecordKey)
        #expect(throws: LexiconValidationError.self) {
            try validate("app.bsky.feed.post", Self.fullPost, rkey: "..")
        }
    }

    @Test("profile blobs accept only png and jpeg up to 1 MB")
    func profileBlobs() {
        var profile: [String: DataValue] = [
            "$type": "app.bsky.actor.profile", "avatar": Self.blob("image/gif", size: 10),
        ]
        let mimeError = #expect(throws: LexiconValidationError.self) {
            try validate("app.bsky.actor.profile", profile, rkey: "self")
        }
        #expect(mimeError?.path == "Record/avatar")
        profile["avatar"] = Self.blob("image/jpeg", size: 1_000_001)
        let sizeError = #expect(throws: LexiconValidationError.self) {
            try validate("app.bsky.actor.profile", profile, rkey: "self")
        }
        #expect(sizeError?.description == "Record/avatar is too big (1000001 bytes, maximum 1000000)")
    }
}
