import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

struct EchoInput: Codable, Sendable {
    struct Inner: Codable, Sendable { let text: String }
    let name: String
    let count: Int
    let inner: Inner?
}

struct ThrowsPlainError: Error {}

/// Test methods: a query, a procedure echoing its input, a Void procedure, one that throws a
/// plain error, one that reads parameters.
func registerTestMethods(_ xrpc: XRPCRouter) {
    xrpc.query("com.example.query") { _, _ in ["ok": true] }
    xrpc.procedure("com.example.echo") { request, context in
        var request = request
        return try await request.decodeXRPCInput(EchoInput.self, context: context)
    }
    xrpc.procedure("com.example.void") { _, _ in }
    xrpc.query("com.example.crash") { _, _ -> Response in throw ThrowsPlainError() }
    xrpc.query("com.example.params") { request, _ in
        let params = request.xrpcParameters
        let actor = try params.requiredString("actor")
        let limit = try params.int("limit", default: 50, range: 1...100)
        let flag = try params.bool("flag", default: false)
        return ["actor": actor, "limit": String(limit), "flag": String(flag), "tags": params.all("tag").joined(separator: ",")]
    }
    xrpc.query("com.example.raw") { _, _ in
        Response(status: .accepted, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "raw")))
    }
}

func errorBody(_ response: TestResponse) throws -> [String: String] {
    let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
    return try #require(object as? [String: String])
}

func json(_ response: TestResponse) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
    return try #require(object as? [String: Any])
}

@Suite struct XRPCRoutingTests {
    @Test func unknownMethodIsNotImplemented() async throws {
        let server = TestServer()
        try await server.test { client in
            for method in [HTTPRequest.Method.get, .post] {
                let response = try await client.execute(uri: "/xrpc/com.example.unknownMethod", method: method)
                #expect(response.status == .notImplemented)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(try errorBody(response) == ["error": "MethodNotImplemented", "message": "Method Not Implemented"])
            }
        }
    }

    @Test func invalidNSIDIsInvalidRequest() async throws {
        let server = TestServer()
        try await server.test { client in
            for path in ["/xrpc/a", "/xrpc/", "/xrpc/com.example..nsid", "/xrpc/com.example.nsid/extra", "/xrpc/com.exa_mple.thing"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .badRequest, "\(path)")
                #expect(try errorBody(response) == ["error": "InvalidRequest", "message": "invalid xrpc path"], "\(path)")
            }
        }
    }

    @Test func wrongHTTPMethod() async throws {
        let server = TestServer()
        try await server.test(extraRoutes: registerTestMethods) { client in
            let post = try await client.execute(uri: "/xrpc/com.example.query", method: .post)
            #expect(post.status == .badRequest)
            #expect(try errorBody(post) == ["error": "InvalidRequest", "message": "Incorrect HTTP method (POST) expected GET"])
            let get = try await client.execute(uri: "/xrpc/com.example.echo", method: .get)
            #expect(get.status == .badRequest)
            #expect(try errorBody(get) == ["error": "InvalidRequest", "message": "Incorrect HTTP method (GET) expected POST"])
            let put = try await client.execute(uri: "/xrpc/com.example.echo", method: .put)
            #expect(try errorBody(put)["message"] == "Incorrect HTTP method (PUT) expected POST")
        }
    }

    @Test func queryProcedureAndHead() async throws {
        let server = TestServer()
        try await server.test(extraRoutes: registerTestMethods) { client in
            let get = try await client.execute(uri: "/xrpc/com.example.query", method: .get)
            #expect(get.status == .ok)
            #expect(get.headers[.contentType] == "application/json; charset=utf-8")
            #expect(String(buffer: get.body) == #"{"ok":true}"#)

            let head = try await client.execute(uri: "/xrpc/com.example.query", method: .head)
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers[.contentLength] == "11")

            let trailing = try await client.execute(uri: "/xrpc/com.example.query/", method: .get)
            #expect(trailing.status == .ok)

            let void = try await client.execute(uri: "/xrpc/com.example.void", method: .post)
            #expect(void.status == .ok)
            #expect(void.body.readableBytes == 0)

            let raw = try await client.execute(uri: "/xrpc/com.example.raw", method: .get)
            #expect(raw.status == .accepted)
            #expect(String(buffer: raw.body) == "raw")
        }
    }

    @Test func plainErrorBecomesInternalServerErrorAndIsLogged() async throws {
        let server = TestServer()
        try await server.test(extraRoutes: registerTestMethods) { client in
            let response = try await client.execute(uri: "/xrpc/com.example.crash", method: .get)
            #expect(response.status == .internalServerError)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            #expect(try errorBody(response) == ["error": "InternalServerError", "message": "Internal Server Error"])
        }
        let errors = server.logs.entries.filter { $0.level == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.metadata["error_type"]?.contains("ThrowsPlainError") == true)
        #expect(errors.first?.metadata["request_id"] != nil)
    }

    @Test func parameters() async throws {
        let server = TestServer()
        try await server.test(extraRoutes: registerTestMethods) { client in
            let ok = try await client.execute(uri: "/xrpc/com.example.params?actor=alice%2Etest&limit=7&flag=true&tag=a&tag=b", method: .get)
            #expect(ok.status == .ok)
            let body = try json(ok)
            #expect(body["actor"] as? String == "alice.test")
            #expect(body["limit"] as? String == "7")
            #expect(body["flag"] as? String == "true")
            #expect(body["tags"] as? String == "a,b")

            let cases: [(String, String)] = [
                ("/xrpc/com.example.params", #"Params must have the property "actor""#),
                ("/xrpc/com.example.params?actor=a&limit=x", "limit must be an integer"),
                ("/xrpc/com.example.params?actor=a&limit=101", "limit can not be greater than 100"),
                ("/xrpc/com.example.params?actor=a&limit=0", "limit can not be less than 1"),
                ("/xrpc/com.example.params?actor=a&flag=yes", "flag must be a boolean"),
            ]
            for (uri, message) in cases {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .badRequest, "\(uri)")
                #expect(try errorBody(response) == ["error": "InvalidRequest", "message": message], "\(uri)")
            }
        }
    }

    @Test func notFoundIsJSON() async throws {
        let server = TestServer()
        try await server.test { client in
            let response = try await client.execute(uri: "/no/such/path", method: .get)
            #expect(response.status == .notFound)
            #expect(try errorBody(response)["error"] == "NotFound")
        }
    }
}
