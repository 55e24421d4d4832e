import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Endpoints

func registerPayloadMethods(_ xrpc: XRPCRouter) {
    // A JSON body of about 20 KB.
    xrpc.query("com.example.big") { _, _ in
        ["items": (0..<1000).map { "item-\($0)" }]
    }
    xrpc.query("com.example.small") { _, _ in ["a": "b"] }
    xrpc.query("com.example.image") { _, _ in
        Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(repeating: 7, count: 8192)))
    }
    xrpc.query("com.example.stream") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "application/vnd.ipld.car"],
            body: ResponseBody { writer in
                for index in 0..<50 {
                    try await writer.write(ByteBuffer(string: String(repeating: "block-\(index);", count: 100)))
                }
                try await writer.finish(nil)
            }
        )
    }
}

@Suite struct GzipTests {
    @Test func roundTripAboveThreshold() async throws {
        let server = TestServer()
        try await server.test(extraRoutes: registerPayloadMethods) { client in
            let plain = try await client.execute(uri: "/xrpc/com.example.big", method: .get)
            #expect(plain.headers[.contentEncoding] == nil)
            let gzipped = try await client.execute(uri: "/xrpc/com.example.big", method: .get, headers: [.acceptEncoding: "gzip, deflate, br"])
            #expect(gzipped.status == .ok)
            #expect(gzipped.headers[.contentEncoding] == "gzip")
            #expect(gzipped.headers[values: .vary].contains("Accept-Encoding"))
            #expect(gzipped.headers[.contentLength] == nil)
            #expect(gzipped.body.readableBytes < plain.body.readableBytes / 3)
            let decompressed = try Gunzip.decompress(gzipped.body)
            #expect(decompressed == Array(plain.body.readableBytesView))
        }
        // The size metric counts the bytes sent (compressed).
        #expect(server.sample("pds_http_response_size_bytes_count") == 2)
    }

    @Test func streamedBodyIsCompressedChunkByChunk() async throws {
        let server = TestServer()
        try await server.test(extraRoutes: registerPayloadMethods) { client in
            let gzipped = try await client.execute(uri: "/xrpc/com.example.stream", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(gzipped.headers[.contentEncoding] == "gzip")
            let text = String(decoding: try Gunzip.decompress(gzipped.body), as: UTF8.self)
            let expected = (0..<50).map { String(repeating: "block-\($0);", count: 100) }.joined()
            #expect(text == expected)
        }
    }

    @Test func notAppliedWhenNotWanted() async throws {
        let server = TestServer()
        try await server.test(extraRoutes: registerPayloadMethods) { client in
            let small = try await client.execute(uri: "/xrpc/com.example.small", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(small.headers[.contentEncoding] == nil)
            #expect(String(buffer: small.body) == #"{"a":"b"}"#)

            let image = try await client.execute(uri: "/xrpc/com.example.image", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(image.headers[.contentEncoding] == nil)
            #expect(image.body.readableBytes == 8192)

            let refused = try await client.execute(uri: "/xrpc/com.example.big", method: .get, headers: [.acceptEncoding: "gzip;q=0, br"])
            #expect(refused.headers[.contentEncoding] == nil)

            let upgrade = try await client.execute(
                uri: "/xrpc/com.example.big", method: .get, headers: [.acceptEncoding: "gzip", .upgrade: "websocket"]
            )
            #expect(upgrade.headers[.contentEncoding] == nil)

            let head = try await client.execute(uri: "/xrpc/com.example.big", method: .head, headers: [.acceptEncoding: "gzip"])
            #expect(head.headers[.contentEncoding] == nil)
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test func acceptEncodingParsing() {
        #expect(ContentCoding.acceptsGzip("gzip"))
        #expect(ContentCoding.acceptsGzip("deflate, GZIP;q=0.5"))
        #expect(ContentCoding.acceptsGzip("x-gzip"))
        #expect(ContentCoding.acceptsGzip("*"))
        #expect(!ContentCoding.acceptsGzip("gzip;q=0"))
        #expect(!ContentCoding.acceptsGzip("*;q=0"))
        #expect(!ContentCoding.acceptsGzip("br, deflate"))
        #expect(!ContentCoding.acceptsGzip("identity"))
        #expect(!ContentCoding.acceptsGzip("*, gzip;q=0"))
    }

    @Test func compressibleTypes() {
        #expect(ContentCoding.isCompressible(contentType: "application/json; charset=utf-8"))
        #expect(ContentCoding.isCompressible(contentType: "application/vnd.ipld.car"))
        #expect(ContentCoding.isCompressible(contentType: "text/plain; version=0.0.4; charset=utf-8"))
        #expect(ContentCoding.isCompressible(contentType: "application/did+json"))
        #expect(!ContentCoding.isCompressible(contentType: "image/jpeg"))
        #expect(!ContentCoding.isCompressible(contentType: "video/mp4"))
        #expect(!ContentCoding.isCompressible(contentType: "application/gzip"))
        #expect(!ContentCoding.isCompressible(contentType: "application/octet-stream"))
    }

    @Test func compressorRoundTripsManyChunks() throws {
        let compressor = try GzipCompressor(level: 6)
        var compressed: [UInt8] = []
        var original: [UInt8] = []
        var generator = SystemRandomNumberGenerator()
        for index in 0..<200 {
            // Mix of compressible text and random bytes, including empty chunks.
            var chunk = Array("chunk \(index) ".utf8)
            chunk += (0..<(index * 37 % 3000)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if index % 50 == 0 { chunk = [] }
            original += chunk
            compressed += try compressor.compress(ByteBuffer(bytes: chunk)).readableBytesView
        }
        compressed += try compressor.finish().readableBytesView
        #expect(try compressor.finish().readableBytes == 0)
        #expect(try Gunzip.decompress(compressed) == original)
        #expect(compressed.prefix(2) == [0x1F, 0x8B])
    }
}
