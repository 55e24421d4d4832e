import ATProto
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

/// The reference's explicit-slur check on handles (createAccount) and record keys (createRecord, putRecord,
/// applyWrites). Test words are built from the reference's look-alike forms (digits for letters) so that the
/// suite's text holds no slur as such.
@Suite("explicit-slur check")
struct ExplicitSlursTests {
    typealias Server = TestServerWithServices

    /// A word the reference's second pattern matches (`c` + two of `0Oo` + `n`, optional `s`).
    static let word = "c" + "00" + "n"

    @Test func matchesTheReferencePatterns() {
        #expect(ExplicitSlurs.contains(Self.word))
        #expect(ExplicitSlurs.contains(Self.word + "s"))
        #expect(ExplicitSlurs.contains("c" + "Oo" + "N"))
        #expect(ExplicitSlurs.contains("x." + Self.word + ".example.com"))
        // Separators are removed for a second look, as the reference does.
        #expect(ExplicitSlurs.contains("c-0-0-n"))
        #expect(ExplicitSlurs.contains("c_0.0-n"))
        // Case follows the reference: its first letter class has no upper-case C.
        #expect(!ExplicitSlurs.contains("C" + "00" + "N"))
        // Word boundaries: inside another word it is no match.
        for innocent in ["raccoon", "cocoon", "coconut", "alice", "self", "3jzfcijpj2z2a", "app.bsky.feed.post", "bob.pds.example.com"] {
            #expect(!ExplicitSlurs.contains(innocent), "\(innocent)")
        }
        #expect(ExplicitSlurs.patterns.count == 7)
    }

    @Test("createAccount refuses a handle with an explicit slur: InvalidHandle")
    func createAccountHandle() async throws {
        try await AccountsHarness.with { harness in
            try await harness.test { client in
                let response = try await AccountsHarness.createAccount(
                    client, AccountsHarness.input("alice", ["handle": "\(Self.word).pds.example.com"]))
                #expect(response.status == .badRequest)
                let body = AccountsHarness.object(response)
                #expect(body["error"] as? String == "InvalidHandle")
                #expect(body["message"] as? String == "Inappropriate language in handle")
            }
            #expect(try await harness.accountCount() == 0)
            #expect(harness.plc.postCount == 0)
        }
    }

    @Test("HandleRules: slurs refused for users, waived for admins (the reference's allowAnyValid)")
    func handleRules() throws {
        let rules = HandleRules(serviceDomains: [".pds.example.com"])
        for (handle, external) in [("\(Self.word)s.pds.example.com", false), ("\(Self.word).example.org", true)] {
            do {
                _ = try rules.validate(handle, allowExternal: external)
                Issue.record("\(handle) passed")
            } catch {
                #expect(error.code == .invalidHandle)
                #expect(error.message == "Inappropriate language in handle")
            }
        }
        #expect(try rules.validateNewHandle("\(Self.word).pds.example.com", allowReserved: true) == "\(Self.word).pds.example.com")
    }

    @Test("record keys chosen by the client are checked on create, put and applyWrites")
    func recordKeys() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let token = try await server.issueSession(did: alice.did).accessJwt
        try await server.test { client in
            let repo = RepoClient(client: client, token: token)
            let created = try await repo.create(alice.did, "com.example.thing", ["n": 1], rkey: Self.word)
            #expect(created.status == .badRequest)
            #expect(Server.object(created)["error"] as? String == "InvalidRequest")
            #expect(Server.object(created)["message"] as? String == "Unacceptable slur in record key")
            let put = try await repo.post(
                "com.atproto.repo.putRecord",
                ["repo": alice.did, "collection": "com.example.thing", "rkey": "x-" + Self.word, "record": ["n": 2]])
            #expect(Server.object(put)["message"] as? String == "Unacceptable slur in record key")
            let batch = try await repo.post(
                "com.atproto.repo.applyWrites",
                [
                    "repo": alice.did,
                    "writes": [
                        ["$type": "com.atproto.repo.applyWrites#create", "collection": "com.example.thing", "rkey": Self.word, "value": ["n": 3]]
                    ],
                ])
            #expect(Server.object(batch)["message"] as? String == "Unacceptable slur in record key")
            #expect(try await server.services.repos.record(did: alice.did, collection: "com.example.thing", rkey: Self.word) == nil)

            let fine = try await repo.create(alice.did, "com.example.thing", ["n": 1], rkey: "raccoon")
            #expect(fine.status == .ok)
        }
    }
}
