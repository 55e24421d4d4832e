import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

@Suite struct AdminInviteRoutesTests {
    /// Every code of a listing, following the cursor `limit` codes at a time.
    static func allCodes(_ calls: AdminCalls, sort: String, limit: Int) async throws -> [[String: Any]] {
        var codes: [[String: Any]] = []
        var cursor: String?
        var pages = 0
        repeat {
            var query = "sort=\(sort)&limit=\(limit)"
            if let cursor { query += "&cursor=\(cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor)" }
            let response = try await calls.get("com.atproto.admin.getInviteCodes", query)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let page = AdminCalls.object(response)
            codes += page["codes"] as? [[String: Any]] ?? []
            cursor = page["cursor"] as? String
            pages += 1
        } while cursor != nil && pages < 50
        return codes
    }

    @Test func getInviteCodesSortsAndPages() async throws {
        try await AccountsHarness.with(inviteRequired: true) { harness in
            try await harness.test { client in
                let calls = AdminCalls(client: client)
                let created = AdminCalls.object(
                    try await calls.post("com.atproto.server.createInviteCodes", ["useCount": 5, "codeCount": 5]))
                let made = ((created["codes"] as? [[String: Any]])?.first?["codes"] as? [String]) ?? []
                #expect(made.count == 5)
                // Two sign-ups with the same code make it the most used.
                _ = try await calls.signUp("alice", inviteCode: made[2])
                _ = try await calls.signUp("bob", inviteCode: made[2])
                _ = try await calls.signUp("carol", inviteCode: made[4])

                let recent = try await Self.allCodes(calls, sort: "recent", limit: 2)
                let recentCodes = recent.compactMap { $0["code"] as? String }
                #expect(Set(recentCodes) == Set(made))
                #expect(recentCodes.count == 5)
                let times = recent.compactMap { $0["createdAt"] as? String }
                #expect(times == times.sorted(by: >))

                let usage = try await Self.allCodes(calls, sort: "usage", limit: 2)
                #expect(usage.count == 5)
                #expect(usage.first?["code"] as? String == made[2])
                #expect((usage.first?["uses"] as? [Any])?.count == 2)
                #expect(usage.dropFirst().first?["code"] as? String == made[4])

                let badSort = try await calls.get("com.atproto.admin.getInviteCodes", "sort=oldest")
                #expect(badSort.status == .badRequest)
                let badCursor = try await calls.get("com.atproto.admin.getInviteCodes", "cursor=zzz")
                #expect(badCursor.status == .badRequest)
                #expect(AdminCalls.object(badCursor)["message"] as? String == "Malformed cursor")
                let badLimit = try await calls.get("com.atproto.admin.getInviteCodes", "limit=501")
                #expect(badLimit.status == .badRequest)
            }
        }
    }

    @Test func disableCodesAndAccountInvites() async throws {
        try await AccountsHarness.with(inviteRequired: true) { harness in
            try await harness.test { client in
                let calls = AdminCalls(client: client)
                let first = try await calls.inviteCode(uses: 5)
                let alice = try await calls.signUp("alice", inviteCode: first)
                let forAlice = AdminCalls.object(
                    try await calls.post("com.atproto.server.createInviteCodes", ["useCount": 1, "codeCount": 2, "forAccounts": [alice.did]]))
                let aliceCodes = ((forAlice["codes"] as? [[String: Any]])?.first?["codes"] as? [String]) ?? []

                // By code.
                #expect(try await calls.post("com.atproto.admin.disableInviteCodes", ["codes": [first]]).status == .ok)
                let refused = try await AccountsHarness.createAccount(client, AccountsHarness.input("bob", ["inviteCode": first]))
                #expect(AdminCalls.error(refused) == "InvalidInviteCode")
                // By account.
                #expect(try await calls.post("com.atproto.admin.disableInviteCodes", ["accounts": [alice.did]]).status == .ok)
                let codes = try await harness.services.accounts.inviteCodes(forAccount: alice.did)
                #expect(codes.count == aliceCodes.count)
                #expect(codes.allSatisfy { $0.disabled })
                let admin = try await calls.post("com.atproto.admin.disableInviteCodes", ["accounts": ["admin"]])
                #expect(admin.status == .badRequest)

                // Account invites flag.
                #expect(try await calls.post("com.atproto.admin.disableAccountInvites", ["account": alice.did, "note": "spam"]).status == .ok)
                var info = AdminCalls.object(try await calls.get("com.atproto.admin.getAccountInfo", "did=\(alice.did)"))
                #expect(info["invitesDisabled"] as? Bool == true)
                #expect(try await calls.post("com.atproto.admin.enableAccountInvites", ["account": alice.did]).status == .ok)
                info = AdminCalls.object(try await calls.get("com.atproto.admin.getAccountInfo", "did=\(alice.did)"))
                #expect(info["invitesDisabled"] as? Bool == false)
                let unknown = try await calls.post("com.atproto.admin.disableAccountInvites", ["account": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"])
                #expect(AdminCalls.error(unknown) == "NotFound")
                let invalid = try await calls.post("com.atproto.admin.enableAccountInvites", ["account": "alice"])
                #expect(invalid.status == .badRequest)
                let missing = try await calls.post("com.atproto.admin.enableAccountInvites", [:])
                #expect(missing.status == .badRequest)
            }
        }
    }
}
