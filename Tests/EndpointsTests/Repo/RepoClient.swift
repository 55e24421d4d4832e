import ATProto
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

@testable import Endpoints

/// Calls of the repository methods for tests, with the caller's access token.
struct RepoClient {
    typealias Server = TestServerWithServices

    let client: any TestClientProtocol
    let token: String?

    func post(_ nsid: String, _ body: [String: Any]) async throws -> TestResponse {
        try await post(nsid, raw: Server.body(body))
    }

    func post(_ nsid: String, raw: ByteBuffer, contentType: String = "application/json") async throws -> TestResponse {
        var headers: HTTPFields = token.map { Server.bearer($0) } ?? [:]
        headers[.contentType] = contentType
        return try await client.execute(uri: "/xrpc/\(nsid)", method: .post, headers: headers, body: raw)
    }

    func get(_ nsid: String, _ query: String) async throws -> TestResponse {
        try await client.execute(uri: "/xrpc/\(nsid)?\(query)", method: .get)
    }

    func create(_ repo: String, _ collection: String, _ record: [String: Any], rkey: String? = nil, validate: Bool? = nil)
        async throws -> TestResponse
    {
        var body: [String: Any] = ["repo": repo, "collection": collection, "record": record]
        if let rkey { body["rkey"] = rkey }
        if let validate { body["validate"] = validate }
        return try await post("com.atproto.repo.createRecord", body)
    }

    /// A raw HTTP exchange on its own thread: the socket calls block, and blocking the executor that also runs
    /// the server's handlers would stall both.
    static func exchangeOnThread(port: Int, request: [UInt8]) async throws -> RawHTTP.Reply {
        try await RawHTTP.exchangeOffPool(port: port, request: request)
    }

    static func post(_ text: String) -> [String: Any] {
        ["$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-01-01T00:00:00.000Z"]
    }
}

extension TestServerWithServices {
    /// Checks the stored repository of `did` the way an importer would: every block of the head commit's tree
    /// present, the commit signed by the account's key, every record hashing to its CID. Returns the record
    /// paths in the tree.
    func verifiedRepoPaths(did: String) async throws -> [String] {
        let head = try #require(try await services.repos.head(did: did))
        let blocks = try await database.read(kind: "test") { db in
            var map: [CID: [UInt8]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT cid, content FROM repo_block WHERE did = ?", arguments: [did]) {
                map[try CID(bytes: [UInt8](row["cid"] as Data))] = [UInt8](row["content"] as Data)
            }
            // Record blocks live in the record index.
            for row in try Row.fetchAll(db, sql: "SELECT cid, content FROM record WHERE did = ?", arguments: [did]) {
                map[try CID(bytes: [UInt8](row["cid"] as Data))] = [UInt8](row["content"] as Data)
            }
            return map
        }
        let key = try await services.repos.signingPublicKey(did: did)
        let (_, records) = try RepoExport.verify(commit: head.commitCID, blocks: blocks, did: did, key: key)
        return records.map(\.key)
    }
}
