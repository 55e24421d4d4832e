import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

@Suite struct XRPCInputTests {
    let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    @Test func decodesJSON() async throws {
        let server = TestServer()
        try await server.test(extraRoutes: registerTestMethods) { client in
            let response = try await client.execute(
                uri: "/xrpc/com.example.echo", method: .post, headers: jsonHeaders,
                body: ByteBuffer(string: #"{"name":"a","count":2,"inner":{"text":"t"}}"#)
            )
            #expect(response.status == .ok)
            let body = try json(response)
            #expect(body["name"] as? String == "a")
            #expect(body["count"] as? Int == 2)
        }
    }

    @Test func malformedAndMistypedInput() async throws {
        let server = TestServer()
        let cases: [(String, String)] = [
            (#"{"name": "a", "count": "#, "Invalid JSON body"),
            ("not json", "Invalid JSON body"),
            (#"{"count":1}"#, #"Input must have the property "name""#),
            (#"{"name":1,"count":1}"#, "Input/name must be a string"),
            (#"{"name":"a","count":"1"}"#, "Input/count must be an integer"),
            (#"{"name":"a","count":1,"inner":{}}"#, #"Input/inner must have the property "text""#),
            (#"{"name":"a","count":1,"inner":{"text":5}}"#, "Input/inner/text must be a string"),
            ("[1]", "Input must be an object"),
        ]
        try await server.test(extraRoutes: registerTestMethods) { client in
            for (body, message) in cases {
                let response = try await client.execute(
                    uri: "/xrpc/com.example.echo", method: .post, headers: jsonHeaders, body: ByteBuffer(string: body)
                )
                #expect(response.status == .badRequest, "\(body)")
                #expect(try errorBody(response) == ["error": "InvalidRequest", "message": message], "\(body)")
            }
        }
    }

    @Test func missingBodyAndWrongContentType() async throws {
        let server = TestServer()
        try await server.test(extraRoutes: registerTestMethods) { client in
            let empty = try await client.execute(uri: "/xrpc/com.example.echo", method: .post, headers: jsonHeaders)
            #expect(try errorBody(empty)["message"] == "A request body is expected but none was provided")
            let text = try await client.execute(
                uri: "/xrpc/com.example.echo", method: .post, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ByteBuffer(string: "{}")
            )
            #expect(text.status == .badRequest)
            #expect(try errorBody(text)["message"] == "Wrong request encoding (Content-Type): text/plain")
        }
    }

    @Test func bodyOverLimitIsPayloadTooLarge() async throws {
        let server = TestServer()  // maxRequestBodyBytes 4096
        let big = "{\"name\":\"" + String(repeating: "x", count: 5000) + "\",\"count\":1}"
        try await server.test(extraRoutes: registerTestMethods) { client in
            let response = try await client.execute(
                uri: "/xrpc/com.example.echo", method: .post, headers: jsonHeaders, body: ByteBuffer(string: big)
            )
            #expect(response.status == .contentTooLarge)
            #expect(try errorBody(response) == ["error": "PayloadTooLarge", "message": "request entity too large"])
            let justUnder = "{\"name\":\"" + String(repeating: "x", count: 4000) + "\",\"count\":1}"
            let ok = try await client.execute(
                uri: "/xrpc/com.example.echo", method: .post, headers: jsonHeaders, body: ByteBuffer(string: justUnder)
            )
            #expect(ok.status == .ok)
        }
    }

    @Test func decodingErrorMessagesNameFields() {
        struct Probe: Decodable { let a: [Int] }
        #expect(throws: XRPCError.self) {
            try XRPCInputDecoder.decode(Probe.self, from: ByteBuffer(string: #"{"a":{}}"#))
        }
        do {
            _ = try XRPCInputDecoder.decode(Probe.self, from: ByteBuffer(string: #"{"a":[1,"x"]}"#))
            Issue.record("expected an error")
        } catch let error as XRPCError {
            #expect(error.message == "Input/a/1 must be an integer")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
