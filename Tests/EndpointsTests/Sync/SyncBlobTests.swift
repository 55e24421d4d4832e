import ATProto
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

@testable import Endpoints

/// listBlobs and getBlob against blobs uploaded with uploadBlob and referenced by posts.
@Suite struct SyncBlobTests {
    typealias Harness = BlobUploadTests.Harness

    /// Uploads `bytes` and returns the blob reference JSON.
    static func upload(_ client: some TestClientProtocol, token: String, _ bytes: [UInt8], type: String) async throws
        -> [String: Any]
    {
        let response = try await BlobUploadTests.upload(client, token: token, bytes: bytes, contentType: type)
        #expect(response.status == .ok)
        return try #require(try json(response)["blob"] as? [String: Any])
    }

    static func link(_ blob: [String: Any]) throws -> String {
        try #require((blob["ref"] as? [String: Any])?["$link"] as? String)
    }

    /// A post embedding `blobs` as images (not validated: the blobs need not be images).
    static func post(_ repo: RepoClient, did: String, rkey: String, _ blobs: [[String: Any]]) async throws {
        var record = RepoClient.post("pics")
        record["embed"] = ["$type": "app.bsky.embed.images", "images": blobs.map { ["image": $0, "alt": ""] }]
        let response = try await repo.create(did, "app.bsky.feed.post", record, rkey: rkey, validate: false)
        #expect(response.status == .ok)
    }

    @Test func listBlobsPagesAndFiltersBySince() async throws {
        let h = try await Harness()
        defer { h.server.close() }
        let alice = try await h.server.createAccount(handle: "alice.pds.example.com")
        let token = try await h.server.issueSession(did: alice.did).accessJwt
        try await h.test { client in
            let repo = RepoClient(client: client, token: token)
            var early: [[String: Any]] = []
            for i in 0..<5 { early.append(try await Self.upload(client, token: token, Array("early \(i)".utf8), type: "text/plain")) }
            try await Self.post(repo, did: alice.did, rkey: "3kaaaaaaaaaa2", Array(early[0..<3]))
            try await Self.post(repo, did: alice.did, rkey: "3kaaaaaaaaab2", Array(early[2..<5]))  // early[2] twice
            let middle = try #require(try await h.services.repos.head(did: alice.did))
            let late = try await Self.upload(client, token: token, Array("late".utf8), type: "text/plain")
            try await Self.post(repo, did: alice.did, rkey: "3kaaaaaaaaac2", [late])
            // Uploaded, never referenced: not listed.
            let temp = try await Self.upload(client, token: token, Array("temp".utf8), type: "text/plain")

            let all = try json(try await h.server.get(client, "com.atproto.sync.listBlobs", "did=\(alice.did)"))
            let cids = try #require(all["cids"] as? [String])
            let expected = try (early + [late]).map(Self.link)
            #expect(Set(cids) == Set(expected))
            #expect(cids.count == 6)
            #expect(!cids.contains(try Self.link(temp)))
            #expect(all["cursor"] == nil)

            var paged: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try json(try await h.server.get(
                    client, "com.atproto.sync.listBlobs", "did=\(alice.did)&limit=4" + (cursor.map { "&cursor=\($0)" } ?? "")))
                paged += try #require(page["cids"] as? [String])
                cursor = page["cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 2)
            #expect(paged == cids)

            let since = try json(try await h.server.get(client, "com.atproto.sync.listBlobs", "did=\(alice.did)&since=\(middle.rev)"))
            #expect(since["cids"] as? [String] == [try Self.link(late)])
        }
    }

    @Test func getBlobServesStoredBytesWithSafetyHeadersAndRanges() async throws {
        let h = try await Harness()
        defer { h.server.close() }
        let alice = try await h.server.createAccount(handle: "alice.pds.example.com")
        let token = try await h.server.issueSession(did: alice.did).accessJwt
        let bytes = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        try await h.test(.live) { client in
            let repo = RepoClient(client: client, token: token)
            let blob = try await Self.upload(client, token: token, bytes, type: "text/html")
            let cid = try Self.link(blob)
            let temp = try Self.link(try await Self.upload(client, token: token, Array("unreferenced".utf8), type: "text/plain"))
            let png = try Self.link(try await Self.upload(client, token: token, BlobUploadTests.png, type: "text/plain"))
            var pngRef = try #require(try await Self.upload(client, token: token, BlobUploadTests.png, type: "text/plain"))
            pngRef["mimeType"] = "image/png"
            try await Self.post(repo, did: alice.did, rkey: "3kaaaaaaaaaa2", [blob, pngRef])
            let uri = "did=\(alice.did)&cid=\(cid)"

            let whole = try await h.server.get(client, "com.atproto.sync.getBlob", uri, headers: [.acceptEncoding: "gzip"])
            #expect(whole.status == .ok)
            #expect(Array(whole.body.readableBytesView) == bytes)
            #expect(whole.headers[.contentType] == "text/html")
            #expect(whole.headers[.contentLength] == "\(bytes.count)")
            #expect(whole.headers[HTTPField.Name("x-content-type-options")!] == "nosniff")
            #expect(whole.headers[.contentDisposition] == "attachment; filename=\"\(cid)\"")
            #expect(whole.headers[.contentSecurityPolicy] == "default-src 'none'; sandbox")
            #expect(whole.headers[.acceptRanges] == "bytes")
            #expect(whole.headers[.contentEncoding] == nil)
            let image = try await h.server.get(client, "com.atproto.sync.getBlob", "did=\(alice.did)&cid=\(png)")
            #expect(image.headers[.contentType] == "image/png")
            #expect(Array(image.body.readableBytesView) == BlobUploadTests.png)

            func range(_ value: String) async throws -> TestResponse {
                try await h.server.get(client, "com.atproto.sync.getBlob", uri, headers: [.range: value])
            }
            let first = try await range("bytes=0-9")
            #expect(first.status == .partialContent)
            #expect(Array(first.body.readableBytesView) == Array(bytes[0...9]))
            #expect(first.headers[.contentRange] == "bytes 0-9/\(bytes.count)")
            #expect(first.headers[.contentLength] == "10")
            let suffix = try await range("bytes=-5")
            #expect(suffix.status == .partialContent)
            #expect(Array(suffix.body.readableBytesView) == Array(bytes.suffix(5)))
            #expect(suffix.headers[.contentRange] == "bytes \(bytes.count - 5)-\(bytes.count - 1)/\(bytes.count)")
            let open = try await range("bytes=30-")
            #expect(open.status == .partialContent)
            #expect(Array(open.body.readableBytesView) == Array(bytes[30...]))
            #expect(open.headers[.contentRange] == "bytes 30-\(bytes.count - 1)/\(bytes.count)")
            let past = try await range("bytes=20-1000")
            #expect(Array(past.body.readableBytesView) == Array(bytes[20...]))
            let unsatisfiable = try await range("bytes=\(bytes.count)-")
            #expect(unsatisfiable.status == .rangeNotSatisfiable)
            #expect(unsatisfiable.headers[.contentRange] == "bytes */\(bytes.count)")
            // Several ranges or another unit: the whole blob.
            let several = try await range("bytes=0-1,4-5")
            #expect(several.status == .ok)
            #expect(Array(several.body.readableBytesView) == bytes)
            #expect(try await range("items=0-1").status == .ok)

            // Unreferenced uploads, unknown and taken-down blobs are not served.
            for missing in [temp, CID.raw(hashing: [9, 9]).string] {
                let response = try await h.server.get(client, "com.atproto.sync.getBlob", "did=\(alice.did)&cid=\(missing)")
                #expect(response.status == .badRequest)
                #expect(try errorBody(response) == ["error": "BlobNotFound", "message": "Blob not found"])
            }
            let raw = Data(try CID(string: cid).bytes)
            try await h.server.database.write(kind: "test") { db in
                try db.execute(sql: "UPDATE blob SET takedown_ref = 'x' WHERE did = ? AND cid = ?", arguments: [alice.did, raw])
            }
            let takendown = try await h.server.get(client, "com.atproto.sync.getBlob", uri)
            #expect(try errorBody(takendown)["error"] == "BlobNotFound")
        }
        let sent = try #require(h.server.sample("pds_sync_bytes_sent_total", labels: ["route": "com.atproto.sync.getBlob"]))
        #expect(sent >= Double(bytes.count * 2 + 10 + 5))
    }

    @Test func rangeHeaderParsing() {
        #expect(ByteRange.resolve(nil, size: 10) == .whole)
        #expect(ByteRange.resolve("bytes=0-9", size: 100) == .partial(0...9))
        #expect(ByteRange.resolve("bytes=5-", size: 10) == .partial(5...9))
        #expect(ByteRange.resolve("bytes=-3", size: 10) == .partial(7...9))
        #expect(ByteRange.resolve("bytes=-30", size: 10) == .partial(0...9))
        #expect(ByteRange.resolve("bytes=8-20", size: 10) == .partial(8...9))
        #expect(ByteRange.resolve("bytes=10-", size: 10) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=-0", size: 10) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=0-", size: 0) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=99999999999999999999-", size: 10) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=5-2", size: 10) == .whole)
        #expect(ByteRange.resolve("bytes=a-b", size: 10) == .whole)
        #expect(ByteRange.resolve("bytes=0-1,3-4", size: 10) == .whole)
        #expect(ByteRange.resolve("pages=1-2", size: 10) == .whole)
        #expect(ByteRange.resolve("bytes=-", size: 10) == .whole)
    }
}
