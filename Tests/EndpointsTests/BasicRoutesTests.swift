import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

@Suite struct BasicRoutesTests {
    @Test func bannerAndRobots() async throws {
        let server = TestServer()
        try await server.test { client in
            let root = try await client.execute(uri: "/", method: .get)
            #expect(root.status == .ok)
            #expect(root.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(String(buffer: root.body).contains("AT Protocol Personal Data Server"))
            #expect(String(buffer: root.body).contains("/xrpc/"))

            let robots = try await client.execute(uri: "/robots.txt", method: .get)
            #expect(String(buffer: robots.body) == "# Hello!\n\n# Crawling the public API is allowed\nUser-agent: *\nAllow: /\n")

            let head = try await client.execute(uri: "/robots.txt", method: .head)
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test func didDocument() async throws {
        let server = TestServer()
        try await server.test { client in
            let response = try await client.execute(uri: "/.well-known/did.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let body = try json(response)
            #expect(body["@context"] as? [String] == ["https://www.w3.org/ns/did/v1"])
            #expect(body["id"] as? String == "did:web:pds.example.com")
            let services = try #require(body["service"] as? [[String: String]])
            #expect(services == [["id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": "https://pds.example.com"]])
        }
        var settings = TestServer.defaultSettings()
        settings.serviceDID = "did:plc:abcdefghijklmnopqrstuvwx"
        try await TestServer(settings: settings).test { client in
            let response = try await client.execute(uri: "/.well-known/did.json", method: .get)
            #expect(response.status == .notFound)
        }
    }

    @Test func describeServer() async throws {
        var settings = TestServer.defaultSettings()
        settings.contactEmail = "admin@example.com"
        settings.privacyPolicyURL = "https://example.com/privacy"
        settings.inviteRequired = false
        let blobUploadLimit = settings.blobUploadLimit
        try await TestServer(settings: settings).test { client in
            let response = try await client.execute(uri: "/xrpc/com.atproto.server.describeServer", method: .get)
            #expect(response.status == .ok)
            let body = try json(response)
            #expect(body["did"] as? String == "did:web:pds.example.com")
            #expect(body["availableUserDomains"] as? [String] == [".pds.example.com"])
            #expect(body["inviteCodeRequired"] as? Bool == false)
            #expect(body["phoneVerificationRequired"] as? Bool == false)
            #expect(body["blobUploadLimit"] as? Int == blobUploadLimit)
            #expect(body["links"] as? [String: String] == ["privacyPolicy": "https://example.com/privacy"])
            #expect(body["contact"] as? [String: String] == ["email": "admin@example.com"])
        }
    }

    @Test func settingsDefaults() {
        let local = ServerSettings()
        #expect(local.publicURL == "http://localhost:2583")
        #expect(local.serviceDID == "did:web:localhost")
        #expect(local.serviceHandleDomains == [".test"])
        let hosted = ServerSettings(hostname: "pds.example.org")
        #expect(hosted.publicURL == "https://pds.example.org")
        #expect(hosted.serviceHandleDomains == [".pds.example.org"])
        #expect(hosted.gzipMinimumBytes == 1024)
    }
}
