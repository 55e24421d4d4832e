import ATProto
import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

@testable import Endpoints

/// Helpers of the sync tests: repositories written straight through ``RepoStore`` and CAR responses parsed.
extension TestServerWithServices {
    /// Writes `count` posts (`<prefix>000000`, ...) to `did` in commits of at most `batch` writes; returns their
    /// paths.
    @discardableResult
    func writePosts(did: String, count: Int, prefix: String = "p", batch: Int = 200) async throws -> [String] {
        var paths: [String] = []
        var start = 0
        while start < count {
            let end = min(count, start + batch)
            let writes = (start..<end).map { i in
                RecordWrite(
                    action: .create, collection: "app.bsky.feed.post", rkey: prefix + String(format: "%06d", i),
                    record: EncodedRecord(.map([
                        "$type": "app.bsky.feed.post", "text": .string("post \(prefix) \(i)"),
                        "createdAt": "2026-01-01T00:00:00.000Z",
                    ])))
            }
            _ = try await services.repos.applyWrites(did: did, writes: writes)
            paths += writes.map(\.path)
            start = end
        }
        return paths
    }

    func get(_ client: some TestClientProtocol, _ nsid: String, _ query: String, headers: HTTPFields = [:]) async throws
        -> TestResponse
    {
        try await client.execute(uri: "/xrpc/\(nsid)?\(query)", method: .get, headers: headers)
    }
}

enum SyncCAR {
    /// The roots and blocks of a CAR response (CIDs checked against the bytes).
    static func parse(_ response: TestResponse) throws -> (roots: [CID], blocks: [CARBlock]) {
        try CARReader.read([UInt8](response.body.readableBytesView))
    }

    static func map(_ blocks: [CARBlock]) -> [CID: [UInt8]] {
        Dictionary(blocks.map { ($0.cid, $0.bytes) }, uniquingKeysWith: { first, _ in first })
    }
}
