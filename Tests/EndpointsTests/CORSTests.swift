import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

@Suite struct CORSTests {
    @Test func preflightIsAnsweredForAnyPath() async throws {
        let server = TestServer()
        try await server.test { client in
            for path in ["/xrpc/com.atproto.repo.createRecord", "/anything"] {
                let response = try await client.execute(
                    uri: path,
                    method: .options,
                    headers: [
                        .origin: "https://app.example",
                        .accessControlRequestMethod: "POST",
                        .accessControlRequestHeaders: "authorization,content-type,atproto-proxy",
                    ]
                )
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                #expect(response.headers[.accessControlAllowMethods] == "GET,HEAD,PUT,PATCH,POST,DELETE")
                #expect(response.headers[.accessControlAllowHeaders] == "authorization,content-type,atproto-proxy")
                #expect(response.headers[.accessControlMaxAge] == "86400")
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    @Test func everyResponseAllowsAllOrigins() async throws {
        let server = TestServer()
        try await server.test { client in
            let ok = try await client.execute(uri: "/xrpc/com.atproto.server.describeServer", method: .get, headers: [.origin: "https://x.example"])
            #expect(ok.headers[.accessControlAllowOrigin] == "*")
            let error = try await client.execute(uri: "/xrpc/com.example.nothing", method: .get)
            #expect(error.headers[.accessControlAllowOrigin] == "*")
            let notFound = try await client.execute(uri: "/nothing", method: .get)
            #expect(notFound.headers[.accessControlAllowOrigin] == "*")
        }
    }
}
