import ATProto
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

@testable import Endpoints

/// Admin API calls for tests against an ``AccountsHarness`` (admin password `admin-secret`).
struct AdminCalls {
    typealias Server = TestServerWithServices

    let client: any TestClientProtocol

    /// `Authorization: Basic admin:<password>`.
    static func auth(_ password: String = "admin-secret") -> HTTPFields {
        Server.adminAuth(password: password)
    }

    func get(_ nsid: String, _ query: String = "", headers: HTTPFields = AdminCalls.auth()) async throws -> TestResponse {
        try await client.execute(uri: "/xrpc/\(nsid)" + (query.isEmpty ? "" : "?\(query)"), method: .get, headers: headers)
    }

    func post(_ nsid: String, _ body: [String: Any], headers: HTTPFields = AdminCalls.auth()) async throws -> TestResponse {
        try await client.execute(
            uri: "/xrpc/\(nsid)", method: .post, headers: Server.json(headers), body: Server.body(body))
    }

    /// The JSON object of a response, or a failed expectation.
    static func object(_ response: TestResponse) -> [String: Any] { Server.object(response) }

    /// The `error` code of a response.
    static func error(_ response: TestResponse) -> String? { object(response)["error"] as? String }

    /// Signs `name` up through createAccount (handle `<name>.pds.example.com`); returns its DID and tokens.
    func signUp(_ name: String, inviteCode: String? = nil) async throws -> (did: String, access: String, refresh: String) {
        var extra: [String: Any] = [:]
        if let inviteCode { extra["inviteCode"] = inviteCode }
        let response = try await AccountsHarness.createAccount(client, AccountsHarness.input(name, extra))
        #expect(response.status == .ok, "createAccount \(name): \(String(buffer: response.body))")
        let object = Self.object(response)
        return (
            try #require(object["did"] as? String), try #require(object["accessJwt"] as? String),
            try #require(object["refreshJwt"] as? String)
        )
    }

    /// `updateSubjectStatus` of an account.
    func takedown(did: String, applied: Bool, ref: String? = nil) async throws -> TestResponse {
        var takedown: [String: Any] = ["applied": applied]
        if let ref { takedown["ref"] = ref }
        return try await post(
            "com.atproto.admin.updateSubjectStatus",
            ["subject": ["$type": "com.atproto.admin.defs#repoRef", "did": did], "takedown": takedown])
    }

    /// One admin invite code usable `uses` times.
    func inviteCode(uses: Int = 1) async throws -> String {
        let response = try await post("com.atproto.server.createInviteCode", ["useCount": uses])
        return try #require(Self.object(response)["code"] as? String)
    }
}

extension AccountsHarness {
    /// The firehose events of `did` in order: type (`#account`, ...) and body, decoded from the stored frames.
    func events(did: String) async throws -> [(type: String, body: DataValue)] {
        let frames = try await database.read(kind: "test") { db in
            try Data.fetchAll(db, sql: "SELECT frame FROM firehose_event WHERE did = ? ORDER BY seq", arguments: [did])
        }
        return try frames.map { frame in
            let (header, body) = try FirehoseFrame.decode([UInt8](frame))
            return (header["t"]?.stringValue ?? "", body)
        }
    }
}
