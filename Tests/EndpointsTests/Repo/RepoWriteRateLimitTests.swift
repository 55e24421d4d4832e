import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

/// The shared per-account repo-write limits (PDS-REFERENCE §7.1): 5000 points per hour and 35000 per day, a
/// create costing 3, an update 2, a delete 1, applyWrites the sum of its writes.
@Suite struct RepoWriteRateLimitTests {
    typealias Server = TestServerWithServices
    static let post = "app.bsky.feed.post"
    /// A collection without a lexicon: any rkey, no validation.
    static let thing = "com.example.thing"

    static func thing(_ n: Int) -> [String: Any] { ["$type": thing, "n": n] }

    static func remaining(_ response: TestResponse) -> Int? {
        response.headers[RateLimiter.remainingHeader].flatMap { Int($0) }
    }

    @Test func writesConsumeWeightedPointsPerAccount() async throws {
        let server = try await Server(rateLimits: .init(bypassKey: "bypass-secret"))
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let bob = try await server.createAccount(handle: "bob.pds.example.com")
        let aliceToken = try await server.issueSession(did: alice.did).accessJwt
        let bobToken = try await server.issueSession(did: bob.did).accessJwt
        try await server.test { client in
            let repo = RepoClient(client: client, token: aliceToken)
            let created = try await repo.create(alice.did, Self.thing, Self.thing(1), rkey: "one")
            #expect(created.status == .ok)
            #expect(created.headers[RateLimiter.limitHeader] == "5000")
            #expect(created.headers[RateLimiter.policyHeader] == "5000;w=3600")
            #expect(Self.remaining(created) == 4997)

            let put = try await repo.post(
                "com.atproto.repo.putRecord",
                ["repo": alice.did, "collection": Self.thing, "rkey": "one", "record": Self.thing(2)])
            #expect(put.status == .ok)
            #expect(Self.remaining(put) == 4995)

            let applied = try await repo.post(
                "com.atproto.repo.applyWrites",
                [
                    "repo": alice.did,
                    "writes": [
                        ["$type": "com.atproto.repo.applyWrites#create", "collection": Self.thing, "rkey": "two", "value": Self.thing(3)],
                        ["$type": "com.atproto.repo.applyWrites#update", "collection": Self.thing, "rkey": "one", "value": Self.thing(4)],
                        ["$type": "com.atproto.repo.applyWrites#create", "collection": Self.thing, "rkey": "three", "value": Self.thing(5)],
                    ],
                ])
            #expect(applied.status == .ok)
            #expect(Self.remaining(applied) == 4995 - 8)

            let deleted = try await repo.post(
                "com.atproto.repo.deleteRecord", ["repo": alice.did, "collection": Self.thing, "rkey": "one"])
            #expect(deleted.status == .ok)
            #expect(Self.remaining(deleted) == 4986)

            // Errors after the limit was charged carry its headers too.
            let invalid = try await repo.create(alice.did, Self.post, ["$type": Self.post, "text": 5])
            #expect(invalid.status == .badRequest)
            #expect(Self.remaining(invalid) == 4983)

            // Two points left: a create (3) is refused, with Retry-After, and writes nothing.
            _ = server.services.rateLimiter.consume([.repoWriteHour], key: alice.did, points: 4981, route: "test")
            let headBefore = try await server.services.repos.head(did: alice.did)
            let refused = try await repo.create(alice.did, Self.post, RepoClient.post("too many"))
            #expect(refused.status == .tooManyRequests)
            #expect(try json(refused)["error"] as? String == "RateLimitExceeded")
            #expect(refused.headers[RateLimiter.policyHeader] == "5000;w=3600")
            #expect(refused.headers[.retryAfter] != nil)
            #expect(try await server.services.repos.head(did: alice.did)?.commitCID == headBefore?.commitCID)

            // The bypass key skips the limit; another account has its own points.
            let bypassed = try await client.execute(
                uri: "/xrpc/com.atproto.repo.createRecord", method: .post,
                headers: Server.json([HTTPField.Name("x-ratelimit-bypass")!: "bypass-secret", .authorization: "Bearer \(aliceToken)"]),
                body: Server.body(["repo": alice.did, "collection": Self.post, "record": RepoClient.post("bypassed")]))
            #expect(bypassed.status == .ok)
            #expect(bypassed.headers[RateLimiter.limitHeader] == nil)
            let bobRepo = RepoClient(client: client, token: bobToken)
            let bobCreated = try await bobRepo.create(bob.did, Self.post, RepoClient.post("bob"))
            #expect(bobCreated.status == .ok)
            #expect(Self.remaining(bobCreated) == 4997)

            // The daily limit applies on its own.
            _ = server.services.rateLimiter.consume([.repoWriteDay], key: bob.did, points: 35_000 - 3, route: "test")
            let daily = try await bobRepo.post(
                "com.atproto.repo.deleteRecord", ["repo": bob.did, "collection": Self.post, "rkey": "missing"])
            #expect(daily.status == .tooManyRequests)
            #expect(daily.headers[RateLimiter.policyHeader] == "35000;w=86400")
        }
        #expect(
            server.sample(
                "pds_rate_limit_rejections_total",
                labels: ["limiter": "repo-write-hour", "route": "com.atproto.repo.createRecord"]) == 1)
        #expect(
            server.sample(
                "pds_rate_limit_rejections_total",
                labels: ["limiter": "repo-write-day", "route": "com.atproto.repo.deleteRecord"]) == 1)
    }

    @Test func disabledLimitsSendNoHeaders() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let token = try await server.issueSession(did: alice.did).accessJwt
        try await server.test { client in
            let created = try await RepoClient(client: client, token: token).create(alice.did, Self.post, RepoClient.post("x"))
            #expect(created.status == .ok)
            #expect(created.headers[RateLimiter.limitHeader] == nil)
        }
    }
}
