import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

@Suite struct AdminAuthTests {
    static let queries = [
        "com.atproto.admin.getAccountInfo?did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa",
        "com.atproto.admin.getAccountInfos?dids=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa",
        "com.atproto.admin.getInviteCodes", "com.atproto.admin.getSubjectStatus?did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa",
        "com.swiftpds.admin.listAccounts",
    ]
    static let procedures = [
        "com.atproto.admin.deleteAccount", "com.atproto.admin.disableAccountInvites",
        "com.atproto.admin.enableAccountInvites", "com.atproto.admin.disableInviteCodes",
        "com.atproto.admin.updateSubjectStatus", "com.atproto.admin.updateAccountEmail",
        "com.atproto.admin.updateAccountHandle", "com.atproto.admin.updateAccountPassword",
    ]

    @Test func everyAdminMethodNeedsTheAdminPassword() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let calls = AdminCalls(client: client)
                let user = try await calls.signUp("alice")
                let body: [String: Any] = ["did": user.did]
                let wrong: [(HTTPFields, Int, String)] = [
                    ([:], 401, "AuthMissing"),
                    (AdminCalls.auth("not-the-password"), 401, "AuthenticationRequired"),
                    ([.authorization: "Basic " + Data("root:admin-secret".utf8).base64EncodedString()], 401, "AuthenticationRequired"),
                    (TestServerWithServices.bearer(user.access), 401, "AuthenticationRequired"),
                ]
                for (headers, status, code) in wrong {
                    for query in Self.queries {
                        let parts = query.split(separator: "?", maxSplits: 1).map(String.init)
                        let response = try await calls.get(parts[0], parts.count > 1 ? parts[1] : "", headers: headers)
                        #expect(Int(response.status.code) == status, "\(query)")
                        #expect(AdminCalls.error(response) == code, "\(query)")
                    }
                    for nsid in Self.procedures {
                        let response = try await calls.post(nsid, body, headers: headers)
                        #expect(Int(response.status.code) == status, "\(nsid)")
                        #expect(AdminCalls.error(response) == code, "\(nsid)")
                    }
                }
                // Nothing changed: the account is still there and active.
                let info = try await calls.get("com.atproto.admin.getAccountInfo", "did=\(user.did)")
                #expect(info.status == .ok)
                #expect(AdminCalls.object(info)["status"] == nil)
            }
            #expect(harness.sample("pds_auth_attempts_total", labels: ["method": "admin", "result": "failed"]) ?? 0 > 0)
        }
    }
}
