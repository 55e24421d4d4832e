import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Endpoints

/// Every XRPC method the server registers, fed bad input (malformed and mistyped JSON bodies, random bytes,
/// junk parameters), with and without a session: whatever a method does with it, the answer is never a 5xx, and
/// every error is an XRPC error body (`error` and `message`). New methods are covered as soon as they are
/// registered. The inputs are drawn from a fixed seed, so a failure repeats.
@Suite struct EveryMethodBadInputTests {

    static let fixedBodies: [String] = [
        "{", "[]", "null", "42", "\"text\"", "{\"a\":", "{}", "{\"did\": 5, \"handle\": [], \"repo\": {}, \"collection\": null}",
        "{\"repo\": \"did:plc:\", \"collection\": \"not an nsid\", \"rkey\": \"..\", \"record\": 7, \"writes\": \"x\"}",
        "{\"email\": \"\", \"password\": \"\", \"token\": \"\", \"identifier\": \"\", \"name\": \"\", \"handle\": \"\"}",
        "{\"preferences\": [{\"$type\": 5}], \"plcOp\": {}, \"operation\": [], \"useCount\": -1, \"codeCount\": 1e99}",
    ]

    static let fixedQueries: [String] = [
        "did=&repo=&collection=&rkey=&cid=&limit=&cursor=",
        "did=did%3Aplc%3A&limit=-1&cursor=%00&reverse=maybe&since=yesterday",
        "did=not-a-did&repo=%F0%9F%98%80&collection=a..b&rkey=%2E%2E&limit=100000&cids=x&handle=-.-",
        "uri=at%3A%2F%2F&aud=%23&exp=notanumber&lxm=1&actor=%20&q=" + String(repeating: "z", count: 3000),
    ]

    static func randomBody(_ generator: inout SplitMix) -> ByteBuffer {
        let length = Int(generator.next() % 200)
        return ByteBuffer(bytes: (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
    }

    static func randomJSON(_ generator: inout SplitMix, depth: Int = 0) -> Any {
        let keys = ["did", "repo", "collection", "rkey", "record", "writes", "handle", "email", "password", "token", "cid", "swapCommit", "validate", "$type"]
        switch generator.next() % (depth > 2 ? 4 : 6) {
        case 0: return Int(truncatingIfNeeded: generator.next() % 2_000_001) - 1_000_000
        case 1: return String(repeating: "a", count: Int(generator.next() % 20)) + ":" + String(generator.next() % 1000)
        case 2: return generator.next() % 2 == 0
        case 3: return NSNull()
        case 4: return (0..<Int(generator.next() % 4)).map { _ in randomJSON(&generator, depth: depth + 1) }
        default:
            var object: [String: Any] = [:]
            for _ in 0..<Int(generator.next() % 6) {
                object[keys[Int(generator.next() % UInt64(keys.count))]] = randomJSON(&generator, depth: depth + 1)
            }
            return object
        }
    }

    static func check(_ response: TestResponse, _ what: String) {
        #expect(response.status.code < 500, "\(what): \(response.status.code) \(String(buffer: response.body).prefix(200))")
        if response.status.code >= 400 {
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any]
            #expect(object?["error"] is String && object?["message"] is String, "\(what): not an XRPC error body")
        }
    }

    @Test func noMethodAnswersBadInputWithAServerError() async throws {
        // The harness's PLC directory runs on loopback: nothing leaves the machine, nothing waits for a timeout.
        try await AccountsHarness.with(withBlobs: true, mailer: RecordingMailer()) { server in
            let created = try await server.test { client in
                try await AccountsHarness.createAccount(client, AccountsHarness.input("alice"))
            }
            let access = try #require(AccountsHarness.object(created)["accessJwt"] as? String)
            let xrpc = XRPCRouter()
            registerXRPCMethods(
                xrpc, settings: server.settings,
                dependencies: ServerDependencies(metrics: server.metrics, health: server.health, logger: server.logs.logger(), services: server.services))
            let methods = xrpc.methods.values.sorted { $0.nsid < $1.nsid }
            #expect(methods.count > 60)
            let admin: HTTPFields = [.authorization: "Basic " + Data("admin:admin-secret".utf8).base64EncodedString()]
            try await server.test { client in
                var generator = SplitMix(seed: 0x5EED)
                for method in methods {
                    let uri = "/xrpc/\(method.nsid)"
                    for auth in [HTTPFields(), [.authorization: "Bearer \(access)"], admin] {
                        switch method.kind {
                        case .procedure:
                            var bodies = Self.fixedBodies.map { ByteBuffer(string: $0) }
                            bodies.append(Self.randomBody(&generator))
                            if let json = try? JSONSerialization.data(withJSONObject: Self.randomJSON(&generator), options: [.fragmentsAllowed]) {
                                bodies.append(ByteBuffer(bytes: json))
                            }
                            for body in bodies {
                                var headers = auth
                                headers[.contentType] = "application/json"
                                let response = try await client.execute(uri: uri, method: .post, headers: headers, body: body)
                                Self.check(response, "POST \(method.nsid) \(String(buffer: body).prefix(60))")
                            }
                        case .query:
                            for query in Self.fixedQueries {
                                let response = try await client.execute(uri: uri + "?" + query, method: .get, headers: auth)
                                Self.check(response, "GET \(method.nsid)?\(query.prefix(60))")
                            }
                        }
                    }
                }
            }
        }
    }
}
