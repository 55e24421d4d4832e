import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import Endpoints

@Suite struct LiveServerTests {
    @Test func chunkedBodyOverLimitIsPayloadTooLarge() async throws {
        let server = TestServer()  // maxRequestBodyBytes 4096
        try await server.test(.live, extraRoutes: registerTestMethods) { client in
            let port = try #require(client.port)
            // 8 chunks of 1 KiB, no Content-Length.
            var request = Array(
                "POST /xrpc/com.example.echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    .utf8
            )
            for _ in 0..<8 {
                request += Array("400\r\n".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 1024) + Array("\r\n".utf8)
            }
            request += Array("0\r\n\r\n".utf8)
            let reply = try await RawHTTP.exchangeOffPool(port: port, request: request)
            #expect(reply.status == 413)
            #expect(reply.headers["content-type"] == "application/json; charset=utf-8")
            #expect(reply.body.contains(#""error":"PayloadTooLarge""#))

            // A small chunked body is fine.
            let small = Array(
                "POST /xrpc/com.example.echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    .utf8
            ) + Array("17\r\n{\"name\":\"n\",\"count\":12}\r\n0\r\n\r\n".utf8)
            let ok = try await RawHTTP.exchangeOffPool(port: port, request: small)
            #expect(ok.status == 200)
            #expect(ok.body.contains(#""count":12"#))

            // A malformed chunk size: the HTTP layer answers 400 and no handler turns it into a 500.
            let malformed = Array(
                "POST /xrpc/com.example.echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    .utf8
            ) + Array("zz\r\n{}\r\n0\r\n\r\n".utf8)
            let bad = try await RawHTTP.exchangeOffPool(port: port, request: malformed)
            #expect(bad.status == 400)
        }
    }

    @Test func onServerRunningReportsBoundPort() async throws {
        let server = TestServer()
        let reported = Mutex<Int?>(nil)
        try await server.test(.live, onServerRunning: { port in reported.withLock { $0 = port } }) { client in
            let port = try #require(client.port)
            #expect(reported.withLock { $0 } == port)
            #expect(port > 0)
            let response = try await client.execute(uri: "/xrpc/com.atproto.server.describeServer", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(response.status == .ok)
            let big = try await client.execute(uri: "/metrics", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(big.headers[.contentEncoding] == "gzip")
            let text = String(decoding: try Gunzip.decompress(big.body), as: UTF8.self)
            #expect(text.contains("pds_http_requests_total"))
        }
    }

    @Test func bareApplicationServesHealth() async throws {
        let settings = TestServer.defaultSettings()
        try await buildBareApplication(settings: settings).test(.live) { client in
            let response = try await client.execute(uri: "/xrpc/_health", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == #"{"version":"1.2.3"}"#)
            let other = try await client.execute(uri: "/xrpc/com.atproto.server.describeServer", method: .get)
            #expect(other.status == .notFound)
        }
    }
}
