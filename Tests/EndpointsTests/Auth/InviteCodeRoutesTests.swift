import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

@testable import Endpoints

@Suite struct InviteCodeRoutesTests {
    typealias Server = TestServerWithServices
    static var codePattern: Regex<Substring> { /pds-example-com-[a-z2-7]{5}-[a-z2-7]{5}/ }

    static func post(_ client: some TestClientProtocol, _ nsid: String, headers: HTTPFields, body: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/xrpc/com.atproto.server.\(nsid)", method: .post, headers: Server.json(headers), body: ByteBuffer(string: body))
    }

    @Test func adminAuthIsRequired() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let tokens = try await server.issueSession(did: alice.did)
        try await server.test { client in
            for nsid in ["createInviteCode", "createInviteCodes"] {
                let missing = try await Self.post(client, nsid, headers: [:], body: #"{"useCount":1}"#)
                #expect(missing.status == .unauthorized)
                #expect(try errorBody(missing)["error"] == "AuthMissing")
                for headers in [
                    Server.adminAuth(password: "wrong"),
                    [.authorization: "Basic " + Data("root:\(Server.adminPassword)".utf8).base64EncodedString()],
                    [.authorization: "Basic " + Data("admin".utf8).base64EncodedString()],
                    Server.bearer(tokens.accessJwt),
                ] as [HTTPFields] {
                    let wrong = try await Self.post(client, nsid, headers: headers, body: #"{"useCount":1}"#)
                    #expect(wrong.status == .unauthorized, "\(headers)")
                    #expect(try errorBody(wrong) == ["error": "AuthenticationRequired", "message": "Authentication Required"])
                }
            }
        }
        #expect(server.sample("pds_auth_attempts_total", labels: ["method": "admin", "result": "failed"]) == 10)
    }

    @Test func createCodesAndUseThem() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let tokens = try await server.issueSession(did: alice.did)
        try await server.test { client in
            let one = try await Self.post(client, "createInviteCode", headers: Server.adminAuth(), body: #"{"useCount":2}"#)
            #expect(one.status == .ok)
            let code = try #require(try json(one)["code"] as? String)
            #expect(code.wholeMatch(of: Self.codePattern) != nil)
            let stored = try #require(try await server.services.accounts.inviteCode(code))
            #expect(stored.available == 2 && stored.forAccount == "admin" && stored.createdBy == "admin" && !stored.disabled)

            let forAlice = try await Self.post(
                client, "createInviteCode", headers: Server.adminAuth(), body: #"{"useCount":1,"forAccount":"\#(alice.did)"}"#)
            let aliceCode = try #require(try json(forAlice)["code"] as? String)

            let many = try await Self.post(
                client, "createInviteCodes", headers: Server.adminAuth(),
                body: #"{"codeCount":3,"useCount":1,"forAccounts":["\#(alice.did)","admin"]}"#)
            #expect(many.status == .ok)
            let groups = try #require(try json(many)["codes"] as? [[String: Any]])
            #expect(groups.map { $0["account"] as? String } == [alice.did, "admin"])
            let aliceCodes = try #require(groups.first?["codes"] as? [String])
            #expect(aliceCodes.count == 3)
            #expect(Set(aliceCodes).count == 3 && aliceCodes.allSatisfy { $0.wholeMatch(of: Self.codePattern) != nil })
            let defaults = try json(
                try await Self.post(client, "createInviteCodes", headers: Server.adminAuth(), body: #"{"useCount":5}"#))
            let defaultGroups = try #require(defaults["codes"] as? [[String: Any]])
            #expect(defaultGroups.count == 1 && defaultGroups[0]["account"] as? String == "admin")
            #expect((defaultGroups[0]["codes"] as? [String])?.count == 1)

            // Someone signs up with Alice's first code: it is used up.
            _ = try await server.services.accounts.create(
                AccountStore.NewAccount(
                    did: Server.randomDID(), handle: "carol.pds.example.com", email: nil, passwordScrypt: nil,
                    signingKey: .init(), inviteCode: aliceCode))

            let listed = try json(
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.getAccountInviteCodes", method: .get, headers: Server.bearer(tokens.accessJwt)))
            let codes = try #require(listed["codes"] as? [[String: Any]])
            #expect(codes.count == 4)
            let used = try #require(codes.first { $0["code"] as? String == aliceCode })
            #expect(used["available"] as? Int == 1)
            #expect(used["disabled"] as? Bool == false)
            #expect(used["forAccount"] as? String == alice.did)
            #expect(used["createdBy"] as? String == "admin")
            #expect((used["uses"] as? [[String: Any]])?.count == 1)
            let unused = try json(
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.getAccountInviteCodes?includeUsed=false", method: .get,
                    headers: Server.bearer(tokens.accessJwt)))
            #expect((unused["codes"] as? [[String: Any]])?.count == 3)
            let badParam = try await client.execute(
                uri: "/xrpc/com.atproto.server.getAccountInviteCodes?includeUsed=maybe", method: .get,
                headers: Server.bearer(tokens.accessJwt))
            #expect(try errorBody(badParam) == ["error": "InvalidRequest", "message": "includeUsed must be a boolean"])
            let anonymous = try await client.execute(uri: "/xrpc/com.atproto.server.getAccountInviteCodes", method: .get)
            #expect(try errorBody(anonymous)["error"] == "AuthMissing")
        }
    }

    @Test func badInput() async throws {
        let server = try await Server()
        defer { server.close() }
        let cases: [(String, String, String)] = [
            ("createInviteCode", "{", "Invalid JSON body"),
            ("createInviteCode", "{}", #"Input must have the property "useCount""#),
            ("createInviteCode", #"{"useCount":"1"}"#, "Input/useCount must be an integer"),
            ("createInviteCode", #"{"useCount":0}"#, "useCount must be at least 1"),
            ("createInviteCode", #"{"useCount":1,"forAccount":"alice"}"#, #"Invalid account for invite codes: must be a DID or "admin""#),
            ("createInviteCodes", #"{"useCount":1,"codeCount":0}"#, "codeCount must be between 1 and 1000"),
            ("createInviteCodes", #"{"useCount":1,"codeCount":1001}"#, "codeCount must be between 1 and 1000"),
            ("createInviteCodes", #"{"useCount":1,"forAccounts":"admin"}"#, "Input/forAccounts must be an array"),
            ("createInviteCodes", #"{"useCount":1,"forAccounts":[]}"#, "forAccounts must name 1 to 1000 accounts"),
            ("createInviteCodes", #"{"useCount":1,"forAccounts":["did:bad"]}"#, #"Invalid account for invite codes: must be a DID or "admin""#),
        ]
        try await server.test { client in
            for (nsid, body, message) in cases {
                let response = try await Self.post(client, nsid, headers: Server.adminAuth(), body: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(try errorBody(response) == ["error": "InvalidRequest", "message": message], "\(body)")
            }
        }
    }
}
