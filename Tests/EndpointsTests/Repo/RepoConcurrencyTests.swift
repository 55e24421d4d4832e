import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

/// Parallel createRecord calls over real sockets: every acknowledged write is in the repository and the
/// stored tree verifies.
@Suite struct RepoConcurrencyTests {
    typealias Server = TestServerWithServices
    static let parallel = 64

    /// One createRecord over its own connection, on its own thread (the socket calls block).
    static func create(port: Int, token: String, repo: String, text: String) async throws -> RawHTTP.Reply {
        let body = Array(#"{"repo":"\#(repo)","collection":"app.bsky.feed.post","record":{"text":"\#(text)","createdAt":"2026-01-01T00:00:00.000Z"}}"#.utf8)
        let head = "POST /xrpc/com.atproto.repo.createRecord HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let request = Array(head.utf8) + body
        return try await RepoClient.exchangeOnThread(port: port, request: request)
    }

    static func rkeys(of replies: [RawHTTP.Reply]) throws -> [String] {
        try replies.map { reply in
            #expect(reply.status == 200, "\(reply.body)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])
            let uri = try #require(object["uri"] as? String)
            return try #require(uri.split(separator: "/").last.map(String.init))
        }
    }

    @Test func parallelCreatesToOneRepo() async throws {
        let server = try await Server()
        defer { server.close() }
        let owner = try await server.createAccount(handle: "busy.pds.example.com")
        let token = try await server.issueSession(did: owner.did).accessJwt
        let replies = try await server.test(.live) { client in
            let port = try #require(client.port)
            return try await withThrowingTaskGroup(of: RawHTTP.Reply.self) { group in
                for index in 0..<Self.parallel {
                    group.addTask { try await Self.create(port: port, token: token, repo: owner.did, text: "post \(index)") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        let rkeys = try Self.rkeys(of: replies)
        #expect(Set(rkeys).count == Self.parallel)
        let paths = try await server.verifiedRepoPaths(did: owner.did)
        #expect(Set(paths) == Set(rkeys.map { "app.bsky.feed.post/\($0)" }))
        #expect(server.sample("pds_repo_commits_total") == Double(Self.parallel))
    }

    @Test func parallelCreatesAcrossRepos() async throws {
        let server = try await Server()
        defer { server.close() }
        var owners: [(did: String, token: String)] = []
        for index in 0..<8 {
            let account = try await server.createAccount(handle: "user\(index).pds.example.com")
            owners.append((account.did, try await server.issueSession(did: account.did).accessJwt))
        }
        let accounts = owners
        let results = try await server.test(.live) { client in
            let port = try #require(client.port)
            return try await withThrowingTaskGroup(of: (String, RawHTTP.Reply).self) { group in
                for index in 0..<Self.parallel {
                    let owner = accounts[index % accounts.count]
                    group.addTask {
                        (owner.did, try await Self.create(port: port, token: owner.token, repo: owner.did, text: "post \(index)"))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        for owner in accounts {
            let rkeys = try Self.rkeys(of: results.filter { $0.0 == owner.did }.map(\.1))
            #expect(rkeys.count == Self.parallel / accounts.count)
            let paths = try await server.verifiedRepoPaths(did: owner.did)
            #expect(Set(paths) == Set(rkeys.map { "app.bsky.feed.post/\($0)" }))
        }
    }
}
