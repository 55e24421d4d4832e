import ATProto
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

@testable import Endpoints

@Suite struct BlobUploadTests {
    typealias Server = TestServerWithServices
    static let limit = 100_000

    /// A test server whose services have a disk blob store under its temp folder.
    struct Harness {
        let server: Server
        let store: DiskBlobStore
        let services: PDSServices

        init(limit: Int = BlobUploadTests.limit) async throws {
            var settings = Server.defaultSettings()
            settings.blobUploadLimit = limit
            server = try await Server(settings: settings)
            store = try DiskBlobStore(root: server.directory.appendingPathComponent("blobs"), database: server.database)
            services = PDSServices(
                database: server.database,
                secrets: ServerSecrets(jwtSecret: Server.jwtSecret, adminPassword: Server.adminPassword, plcRotationKey: K256PrivateKey()),
                serviceDID: settings.serviceDID, metricsFactory: server.metrics.factory,
                passwords: PasswordHasher(cost: Server.testScryptCost), logger: server.logs.logger(), blobs: store)
        }

        func test<Value>(_ framework: TestingSetup = .router, _ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
            let dependencies = ServerDependencies(
                metrics: server.metrics, health: server.health, logger: server.logs.logger(), services: services)
            return try await buildApplication(settings: server.settings, dependencies: dependencies).test(framework, body)
        }

        func tempRow(did: String, cid: String) async throws -> String?? {
            let raw = Data(try CID(string: cid).bytes)
            return try await server.database.read(kind: "test") { db in
                try Row.fetchOne(db, sql: "SELECT temp_key FROM blob WHERE did = ? AND cid = ?", arguments: [did, raw])
                    .map { $0["temp_key"] as String? }
            }
        }
    }

    static func upload(_ client: some TestClientProtocol, token: String, bytes: [UInt8], contentType: String? = "application/octet-stream") async throws -> TestResponse {
        var headers = Server.bearer(token)
        if let contentType { headers[.contentType] = contentType }
        return try await client.execute(uri: "/xrpc/com.atproto.repo.uploadBlob", method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 100)

    @Test func uploadReferenceReleaseAndSniffing() async throws {
        let h = try await Harness()
        defer { h.server.close() }
        let alice = try await h.server.createAccount(handle: "alice.pds.example.com")
        let token = try await h.server.issueSession(did: alice.did).accessJwt
        try await h.test { client in
            let response = try await Self.upload(client, token: token, bytes: Self.png, contentType: "text/plain")
            #expect(response.status == .ok)
            let blob = try #require(try json(response)["blob"] as? [String: Any])
            #expect(blob["$type"] as? String == "blob")
            #expect(blob["mimeType"] as? String == "image/png")
            #expect(blob["size"] as? Int == Self.png.count)
            let link = try #require((blob["ref"] as? [String: Any])?["$link"] as? String)
            #expect(link == CID.raw(hashing: Self.png).string)
            #expect(try await h.store.contents(did: alice.did, cid: CID(string: link)) == Self.png)
            #expect(try await h.tempRow(did: alice.did, cid: link) != nil)
            #expect(try await h.tempRow(did: alice.did, cid: link)! != nil)

            // Unknown bytes: the Content-Type header, else octet-stream.
            let text = try json(try await Self.upload(client, token: token, bytes: Array("hello".utf8), contentType: "text/plain; charset=utf-8"))
            #expect((text["blob"] as? [String: Any])?["mimeType"] as? String == "text/plain")
            let plain = try json(try await Self.upload(client, token: token, bytes: Array("hello!".utf8), contentType: nil))
            #expect((plain["blob"] as? [String: Any])?["mimeType"] as? String == "application/octet-stream")

            // A post embedding the image makes it permanent; mismatched references are refused.
            let repo = RepoClient(client: client, token: token)
            func postWith(_ image: [String: Any]) -> [String: Any] {
                var record = RepoClient.post("pic")
                record["embed"] = ["$type": "app.bsky.embed.images", "images": [["image": image, "alt": ""]]]
                return record
            }
            let ref: [String: Any] = ["$type": "blob", "ref": ["$link": link], "mimeType": "image/png", "size": Self.png.count]
            var wrongMime = ref
            wrongMime["mimeType"] = "image/jpeg"
            let mime = try await repo.create(alice.did, "app.bsky.feed.post", postWith(wrongMime))
            #expect(try errorBody(mime)["error"] == "InvalidMimeType")
            var wrongSize = ref
            wrongSize["size"] = 5
            let size = try await repo.create(alice.did, "app.bsky.feed.post", postWith(wrongSize))
            #expect(try errorBody(size)["error"] == "InvalidSize")
            var missing = ref
            missing["ref"] = ["$link": CID.raw(hashing: [1, 2, 3]).string]
            let unknown = try await repo.create(alice.did, "app.bsky.feed.post", postWith(missing))
            #expect(try errorBody(unknown)["error"] == "BlobNotFound")

            let created = try await repo.create(alice.did, "app.bsky.feed.post", postWith(ref), rkey: "3kaaaaaaaaaa2")
            #expect(created.status == .ok)
            #expect(try await h.tempRow(did: alice.did, cid: link)! == nil)

            // Deleting the post releases the blob: row and file go.
            let deleted = try await repo.post("com.atproto.repo.deleteRecord", ["repo": alice.did, "collection": "app.bsky.feed.post", "rkey": "3kaaaaaaaaaa2"])
            #expect(deleted.status == .ok)
            #expect(try await h.tempRow(did: alice.did, cid: link) == nil)
            #expect(try await h.store.contents(did: alice.did, cid: CID(string: link)) == nil)
        }
        #expect(h.server.sample("pds_blob_uploads_total", labels: ["result": "ok"]) == 3)
        #expect(h.server.sample("pds_blobstore_bytes") == Double(5 + 6))
    }

    @Test func sniffedTypes() {
        #expect(MIMESniffer.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == "image/jpeg")
        #expect(MIMESniffer.sniff(Array("GIF89a".utf8)) == "image/gif")
        #expect(MIMESniffer.sniff(Array("RIFF\0\0\0\0WEBPVP8 ".utf8)) == "image/webp")
        #expect(MIMESniffer.sniff([0, 0, 0, 0x1C] + Array("ftypavif".utf8)) == "image/avif")
        #expect(MIMESniffer.sniff([0, 0, 0, 0x18] + Array("ftypheic".utf8)) == "image/heic")
        #expect(MIMESniffer.sniff([0, 0, 0, 0x18] + Array("ftypisom".utf8)) == "video/mp4")
        #expect(MIMESniffer.sniff([0, 0, 0, 0x14] + Array("ftypqt  ".utf8)) == "video/quicktime")
        #expect(MIMESniffer.sniff([0x1A, 0x45, 0xDF, 0xA3, 0x01]) == "video/webm")
        #expect(MIMESniffer.sniff(Array("RIFF\0\0\0\0WAVE".utf8)) == nil)
        #expect(MIMESniffer.sniff([]) == nil)
    }

    /// A body of several gathered writes (UploadBlob.writeSize) arrives whole and in order, over a real socket.
    @Test func largeUploadsAreStoredByteForByte() async throws {
        let size = UploadBlob.writeSize * 3 + 12_345
        let h = try await Harness(limit: size)
        defer { h.server.close() }
        let dave = try await h.server.createAccount(handle: "dave.pds.example.com")
        let token = try await h.server.issueSession(did: dave.did).accessJwt
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        try await h.test(.live) { client in
            let response = try await Self.upload(client, token: token, bytes: bytes)
            #expect(response.status == .ok)
            let blob = try #require(try json(response)["blob"] as? [String: Any])
            #expect(blob["size"] as? Int == size)
            let link = try #require((blob["ref"] as? [String: Any])?["$link"] as? String)
            #expect(link == CID.raw(hashing: bytes).string)
            #expect(try await h.store.contents(did: dave.did, cid: try CID(string: link)) == bytes)
        }
        let temps = try FileManager.default.contentsOfDirectory(atPath: h.store.root.appendingPathComponent("tmp").path)
        #expect(temps.isEmpty)
    }

    @Test func oversizeUploadsAreRefusedWithoutStoring() async throws {
        let h = try await Harness()
        defer { h.server.close() }
        let bob = try await h.server.createAccount(handle: "bob.pds.example.com")
        let token = try await h.server.issueSession(did: bob.did).accessJwt
        try await h.test(.live) { client in
            let big = [UInt8](repeating: 1, count: Self.limit + 1)
            let declared = try await Self.upload(client, token: token, bytes: big)
            #expect(declared.status == .contentTooLarge)
            #expect(try errorBody(declared)["error"] == "PayloadTooLarge")
            let exact = try await Self.upload(client, token: token, bytes: [UInt8](repeating: 2, count: Self.limit))
            #expect(exact.status == .ok)
            let noAuth = try await client.execute(uri: "/xrpc/com.atproto.repo.uploadBlob", method: .post, body: ByteBuffer(bytes: [1]))
            #expect(noAuth.status == .unauthorized)
        }
        // A chunked body without Content-Length is cut off while streaming.
        try await h.test(.live) { client in
            let port = try #require(client.port)
            let chunk = [UInt8](repeating: 3, count: 30_000)
            var request = Array("POST /xrpc/com.atproto.repo.uploadBlob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
            for _ in 0..<4 { request += Array("7530\r\n".utf8) + chunk + Array("\r\n".utf8) }
            request += Array("0\r\n\r\n".utf8)
            // The server answers 413 as soon as the limit is crossed and closes the connection; the client may
            // still be sending, so the reply can be lost to a reset. The counter and the empty tmp folder below
            // show the refusal either way.
            if let reply = try? await RepoClient.exchangeOnThread(port: port, request: request) {
                #expect(reply.status == 413)
            }
        }
        let temps = try FileManager.default.contentsOfDirectory(atPath: h.store.root.appendingPathComponent("tmp").path)
        #expect(temps.isEmpty)
        #expect(h.server.sample("pds_blob_uploads_total", labels: ["result": "too_large"]) == 2)
    }

    @Test func garbageCollectionDeletesOnlyStaleUnreferencedUploads() async throws {
        let h = try await Harness()
        defer { h.server.close() }
        let carol = try await h.server.createAccount(handle: "carol.pds.example.com")
        let token = try await h.server.issueSession(did: carol.did).accessJwt
        let links = try await h.test { client in
            var links: [String] = []
            for bytes in [Self.png, Array("kept".utf8)] {
                let blob = try #require(try json(try await Self.upload(client, token: token, bytes: bytes))["blob"] as? [String: Any])
                links.append(try #require((blob["ref"] as? [String: Any])?["$link"] as? String))
            }
            let ref: [String: Any] = ["$type": "blob", "ref": ["$link": links[1]], "mimeType": "application/octet-stream", "size": 4]
            let created = try await RepoClient(client: client, token: token).create(carol.did, "com.example.file", ["file": ref])
            #expect(created.status == .ok)
            return links
        }
        let collector = BlobGarbageCollector(store: h.store, grace: .seconds(3600), metricsFactory: h.server.metrics.factory, logger: h.server.logs.logger())
        #expect(try await collector.collect() == 0)
        #expect(try await collector.collect(now: Date().addingTimeInterval(7200)) == 1)
        #expect(try await h.store.contents(did: carol.did, cid: CID(string: links[0])) == nil)
        #expect(try await h.store.contents(did: carol.did, cid: CID(string: links[1])) == Array("kept".utf8))
        #expect(h.server.sample("pds_blob_gc_deleted_total") == 1)
        #expect(h.server.sample("pds_blobstore_bytes") == 4)
    }
}
