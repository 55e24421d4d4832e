import ATProto
import Foundation
import Hummingbird
import GRDB
import HummingbirdTesting
import NIOCore
import Testing

@testable import Endpoints

@Suite("resolveHandle and /.well-known/atproto-did")
struct IdentityRoutesTests {
    /// Creates `mike.pds.example.com` through createAccount and returns its DID.
    static func createMike(_ client: any TestClientProtocol) async throws -> String {
        let response = try await AccountsHarness.createAccount(client, AccountsHarness.input("mike"))
        #expect(response.status == .ok)
        return try #require(AccountsHarness.object(response)["did"] as? String)
    }

    @Test("resolveHandle answers local handles case-insensitively")
    func resolveLocal() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let did = try await Self.createMike(client)
                for handle in ["mike.pds.example.com", "MIKE.pds.Example.COM"] {
                    let response = try await client.execute(
                        uri: "/xrpc/com.atproto.identity.resolveHandle?handle=\(handle)", method: .get)
                    #expect(response.status == .ok)
                    #expect(AccountsHarness.object(response)["did"] as? String == did)
                }
            }
        }
    }

    @Test("resolveHandle: unknown handle, taken-down account, invalid or missing handle")
    func resolveErrors() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let did = try await Self.createMike(client)
                let unknown = try await client.execute(
                    uri: "/xrpc/com.atproto.identity.resolveHandle?handle=nobody.pds.example.com", method: .get)
                #expect(unknown.status == .badRequest)
                #expect(AccountsHarness.object(unknown)["error"] as? String == "HandleNotFound")
                let foreign = try await client.execute(
                    uri: "/xrpc/com.atproto.identity.resolveHandle?handle=someone.example.org", method: .get)
                #expect(AccountsHarness.object(foreign)["error"] as? String == "HandleNotFound")
                let invalid = try await client.execute(
                    uri: "/xrpc/com.atproto.identity.resolveHandle?handle=not_a_handle", method: .get)
                #expect(invalid.status == .badRequest)
                #expect(AccountsHarness.object(invalid)["error"] as? String == "InvalidRequest")
                let missing = try await client.execute(uri: "/xrpc/com.atproto.identity.resolveHandle", method: .get)
                #expect(missing.status == .badRequest)
                #expect(AccountsHarness.object(missing)["error"] as? String == "InvalidRequest")

                try await harness.database.write(kind: "test") { db in
                    try db.execute(sql: "UPDATE account SET takedown_ref = 'x' WHERE did = ?", arguments: [did])
                }
                let takendown = try await client.execute(
                    uri: "/xrpc/com.atproto.identity.resolveHandle?handle=mike.pds.example.com", method: .get)
                #expect(AccountsHarness.object(takendown)["error"] as? String == "HandleNotFound")
            }
        }
    }

    @Test("well-known atproto-did answers the DID of the handle in Host, as text")
    func wellKnown() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test(.live) { client in
                let did = try await Self.createMike(client)
                let port = try #require(client.port)
                for host in ["mike.pds.example.com", "Mike.PDS.example.com:8443"] {
                    let reply = try await RawHTTP.exchangeOffPool(port: port, request: Self.get(host: host))
                    #expect(reply.status == 200, "host \(host)")
                    #expect(reply.headers["content-type"]?.hasPrefix("text/plain") == true)
                    #expect(reply.body == did)
                }
                for host in ["nobody.pds.example.com", "pds.example.com", "mike.example.org", "[::1]:80", "127.0.0.1"] {
                    let reply = try await RawHTTP.exchangeOffPool(port: port, request: Self.get(host: host))
                    #expect(reply.status == 404, "host \(host)")
                    #expect(reply.body == "User not found")
                }
            }
        }
    }

    static func get(host: String) -> [UInt8] {
        Array("GET /.well-known/atproto-did HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
    }
}
