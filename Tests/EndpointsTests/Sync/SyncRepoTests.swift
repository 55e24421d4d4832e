import ATProto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import Hummingbird
import HummingbirdTesting
import PDSTestSupport
import Storage
import Testing

@testable import Endpoints

/// getRepo, getLatestCommit, getRecord and getBlocks against repositories written by the test.
@Suite struct SyncRepoTests {
    typealias Server = TestServerWithServices

    @Test func getRepoExportsTheWholeVerifiableRepository() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        // More records than two export pages (500 rows each).
        let paths = try await server.writePosts(did: alice.did, count: 1_100)
        let head = try #require(try await server.services.repos.head(did: alice.did))
        let key = try await server.services.repos.signingPublicKey(did: alice.did)
        let size = try await server.test { client in
            let response = try await server.get(client, "com.atproto.sync.getRepo", "did=\(alice.did)")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/vnd.ipld.car")
            let (roots, blocks) = try SyncCAR.parse(response)
            #expect(roots == [head.commitCID])
            #expect(blocks.first?.cid == head.commitCID)
            #expect(Set(blocks.map(\.cid)).count == blocks.count)
            // The commit is signed by the account's key, the tree validates, every record is there and hashes right.
            let (commit, records) = try RepoExport.verify(
                commit: head.commitCID, blocks: SyncCAR.map(blocks), did: alice.did, key: key)
            #expect(records.map(\.key) == paths.sorted())
            // Rebuilt from the records alone, the tree has the commit's root, and the CAR holds exactly the commit,
            // that tree's nodes and the records.
            let rebuilt = try RepoBuilder.apply(
                records.map { .create(path: $0.key, cid: $0.value) }, root: nil, reader: MemoryBlockStore())
            #expect(rebuilt.root == commit.data)
            #expect(blocks.count == 1 + rebuilt.newNodeBlocks.count + records.count)
            #expect(Set(blocks.map(\.cid)) == Set([head.commitCID] + rebuilt.newNodeBlocks.keys + records.map(\.value)))
            return response.body.readableBytes
        }
        #expect(server.sample("pds_sync_repo_exports_total", labels: ["result": "ok"]) == 1)
        #expect(server.sample("pds_sync_bytes_sent_total", labels: ["route": "com.atproto.sync.getRepo"]) == Double(size))
        let line = try #require(server.logs.entries.first { $0.message == "repo exported" })
        #expect(line.metadata["did"] == alice.did)
        #expect(line.metadata["bytes"] == "\(size)")
        #expect(line.metadata["blocks"] != nil && line.metadata["duration_ms"] != nil)
    }

    @Test func getRepoIsGzippedWhenAskedOverARealSocket() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let paths = try await server.writePosts(did: alice.did, count: 600)
        let head = try #require(try await server.services.repos.head(did: alice.did))
        let key = try await server.services.repos.signingPublicKey(did: alice.did)
        try await server.test(.live) { client in
            let response = try await server.get(
                client, "com.atproto.sync.getRepo", "did=\(alice.did)", headers: [.acceptEncoding: "gzip"])
            #expect(response.status == .ok)
            #expect(response.headers[.contentEncoding] == "gzip")
            let (roots, blocks) = try CARReader.read(try Gunzip.decompress(response.body))
            #expect(roots == [head.commitCID])
            let (_, records) = try RepoExport.verify(commit: head.commitCID, blocks: SyncCAR.map(blocks), did: alice.did, key: key)
            #expect(records.map(\.key) == paths.sorted())
        }
    }

    @Test func getRepoSinceSendsOnlyNewerBlocks() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        let old = try await server.writePosts(did: alice.did, count: 300, prefix: "a")
        let middle = try #require(try await server.services.repos.head(did: alice.did))
        let new = try await server.writePosts(did: alice.did, count: 20, prefix: "b")
        let head = try #require(try await server.services.repos.head(did: alice.did))
        try await server.test { client in
            let full = try SyncCAR.parse(try await server.get(client, "com.atproto.sync.getRepo", "did=\(alice.did)"))
            let diff = try await server.get(client, "com.atproto.sync.getRepo", "did=\(alice.did)&since=\(middle.rev)")
            #expect(diff.status == .ok)
            let (roots, blocks) = try SyncCAR.parse(diff)
            #expect(roots == [head.commitCID])
            #expect(blocks.first?.cid == head.commitCID)
            let cids = Set(blocks.map(\.cid))
            #expect(cids.isSubset(of: Set(full.blocks.map(\.cid))))
            #expect(blocks.count < full.blocks.count)
            let records = try await server.database.read(kind: "test") { db in
                try Row.fetchAll(db, sql: "SELECT rkey, cid, rev FROM record WHERE did = ?", arguments: [alice.did])
                    .map { (rkey: $0["rkey"] as String, cid: try CID(bytes: $0["cid"] as Data), rev: $0["rev"] as String) }
            }
            // Every record written after `since` is there, none written before.
            for record in records {
                let isNew = new.contains("app.bsky.feed.post/\(record.rkey)")
                #expect(cids.contains(record.cid) == isNew)
                #expect(isNew == (record.rev > middle.rev))
            }
            #expect(old.count + new.count == records.count)
            // Every node sent was written after `since`.
            let nodeRevs = try await server.database.read(kind: "test") { db in
                try String.fetchAll(db, sql: "SELECT rev FROM repo_block WHERE did = ? AND cid IN (\(blocks.map { _ in "?" }.joined(separator: ",")))",
                    arguments: StatementArguments([alice.did] + blocks.map { Data($0.cid.bytes) }))
            }
            #expect(nodeRevs.allSatisfy { $0 > middle.rev })
            #expect(!nodeRevs.isEmpty)

            // Since the head: the header and no blocks.
            let none = try SyncCAR.parse(try await server.get(client, "com.atproto.sync.getRepo", "did=\(alice.did)&since=\(head.rev)"))
            #expect(none.roots == [head.commitCID])
            #expect(none.blocks.isEmpty)
        }
    }

    @Test func exportReadsOneSnapshotWhileWritesGoOn() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        try await server.writePosts(did: alice.did, count: 400)
        let key = try await server.services.repos.signingPublicKey(did: alice.did)
        var stream = try #require(
            try await RepoExportStream.open(database: server.database, did: alice.did, since: nil, pageSize: 50))
        var blocks = try await stream.nextPage()
        blocks += try await stream.nextPage()
        // Writes after the stream opened: updates and deletes that drop nodes the export still has to send.
        try await server.writePosts(did: alice.did, count: 100, prefix: "z")
        _ = try await server.services.repos.applyWrites(
            did: alice.did,
            writes: (0..<150).map { RecordWrite(action: .delete, collection: "app.bsky.feed.post", rkey: "p" + String(format: "%06d", $0)) })
        while true {
            let page = try await stream.nextPage()
            if page.isEmpty { break }
            #expect(page.count <= 50)
            blocks += page
        }
        let (_, records) = try RepoExport.verify(commit: stream.head.commitCID, blocks: SyncCAR.map(blocks), did: alice.did, key: key)
        #expect(records.count == 400)
        #expect(try await server.services.repos.head(did: alice.did)?.commitCID != stream.head.commitCID)
    }

    /// A client that reads slowly does not hold the export's database snapshot: the CAR is written to a file first
    /// (at disk speed), then sent from it. With the snapshot held, frames committed after it could not be copied
    /// back by a checkpoint, and with one database for every account the WAL could not start over for anyone.
    @Test func aSlowDownloadDoesNotHoldTheDatabaseSnapshot() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        // About 7 MB of CAR: more than the server's socket send buffer and the client's small receive buffer hold.
        let text = String(repeating: "x", count: 2_000)
        for batch in 0..<15 {
            let writes = (0..<200).map { i in
                RecordWrite(
                    action: .create, collection: "app.bsky.feed.post", rkey: "b" + String(format: "%06d", batch * 200 + i),
                    record: EncodedRecord(.map([
                        "$type": "app.bsky.feed.post", "text": .string(text), "createdAt": "2026-01-01T00:00:00.000Z",
                    ])))
            }
            _ = try await server.services.repos.applyWrites(did: alice.did, writes: writes)
        }
        let head = try #require(try await server.services.repos.head(did: alice.did))
        try await server.test(.live) { client in
            let port = try #require(client.port)
            // Socket calls block: they run on threads of their own, off the pool that runs the server's handlers.
            let connection = try await onOwnThread { try SlowReader(port: port, receiveBuffer: 4_096) }
            let did = alice.did
            let (headers, early) = try await onOwnThread { () throws -> ([String: String], [UInt8]) in
                try connection.send("GET /xrpc/com.atproto.sync.getRepo?did=\(did) HTTP/1.1\r\nHost: localhost\r\n\r\n")
                return try connection.readHead()
            }
            let length = headers["content-length"].flatMap(Int.init)
            #expect((length ?? 0) > 6_000_000, "Content-Length \(String(describing: length))")
            // The client has read almost nothing. New commits, then a checkpoint: every frame can be copied back.
            try await server.writePosts(did: alice.did, count: 50, prefix: "z")
            var outcome: (busy: Int, log: Int, checkpointed: Int) = (1, 0, 0)
            for _ in 0..<100 {
                outcome = try await server.database.writeWithoutTransaction(kind: "test") { db in
                    let row = try #require(try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)"))
                    return (row[0] as Int, row[1] as Int, row[2] as Int)
                }
                if outcome.busy == 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(outcome.busy == 0 && outcome.log == outcome.checkpointed, "\(outcome)")
            // The download then completes: the repository as it was when asked for.
            let remaining = try #require(length) - early.count
            let body = try await early + onOwnThread { try connection.read(count: remaining) }
            let (roots, blocks) = try CARReader.read(body)
            #expect(roots == [head.commitCID])
            #expect(blocks.count > 3_000)
        }
    }

    @Test func getLatestCommitAnswersTheHead() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        try await server.writePosts(did: alice.did, count: 3)
        let head = try #require(try await server.services.repos.head(did: alice.did))
        try await server.test { client in
            let response = try await server.get(client, "com.atproto.sync.getLatestCommit", "did=\(alice.did)")
            #expect(response.status == .ok)
            let body = try json(response)
            #expect(body["cid"] as? String == head.commitCID.string)
            #expect(body["rev"] as? String == head.rev)
        }
    }

    @Test func getRecordProvesPresenceAndAbsence() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        try await server.writePosts(did: alice.did, count: 250)
        let head = try #require(try await server.services.repos.head(did: alice.did))
        let key = try await server.services.repos.signingPublicKey(did: alice.did)
        let stored = try #require(try await server.services.repos.record(did: alice.did, collection: "app.bsky.feed.post", rkey: "p000123"))
        try await server.test { client in
            let present = try await server.get(
                client, "com.atproto.sync.getRecord", "did=\(alice.did)&collection=app.bsky.feed.post&rkey=p000123")
            #expect(present.status == .ok)
            #expect(present.headers[.contentType] == "application/vnd.ipld.car")
            let proof = try SyncCAR.parse(present)
            #expect(proof.roots == [head.commitCID])
            let found = try RepoExport.verifyRecordProof(
                commit: head.commitCID, path: "app.bsky.feed.post/p000123", blocks: SyncCAR.map(proof.blocks), key: key)
            #expect(found?.cid == stored.cid)
            #expect(found?.bytes == stored.bytes)
            // A path, not the repository: a handful of blocks.
            #expect(proof.blocks.count < 10)

            let absent = try await server.get(
                client, "com.atproto.sync.getRecord", "did=\(alice.did)&collection=app.bsky.feed.post&rkey=p999999")
            #expect(absent.status == .ok)
            let absence = try SyncCAR.parse(absent)
            #expect(absence.roots == [head.commitCID])
            let none = try RepoExport.verifyRecordProof(
                commit: head.commitCID, path: "app.bsky.feed.post/p999999", blocks: SyncCAR.map(absence.blocks), key: key)
            #expect(none == nil)
            // Without the proof's nodes the absence cannot be shown.
            let commitOnly = SyncCAR.map(absence.blocks.filter { $0.cid == head.commitCID })
            #expect(throws: CommitError.self) {
                try RepoExport.verifyRecordProof(commit: head.commitCID, path: "app.bsky.feed.post/p999999", blocks: commitOnly)
            }

            for query in [
                "did=\(alice.did)&collection=not-an-nsid&rkey=p1", "did=\(alice.did)&collection=app.bsky.feed.post&rkey=..",
                "did=\(alice.did)&collection=app.bsky.feed.post",
            ] {
                let bad = try await server.get(client, "com.atproto.sync.getRecord", query)
                #expect(bad.status == .badRequest)
                #expect(try errorBody(bad)["error"] == "InvalidRequest")
            }
        }
    }

    @Test func getBlocksReturnsTheAskedBlocksOrBlockNotFound() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com")
        try await server.writePosts(did: alice.did, count: 5)
        let head = try #require(try await server.services.repos.head(did: alice.did))
        let record = try #require(try await server.services.repos.record(did: alice.did, collection: "app.bsky.feed.post", rkey: "p000002"))
        try await server.test { client in
            let response = try await server.get(
                client, "com.atproto.sync.getBlocks",
                "did=\(alice.did)&cids=\(head.commitCID.string)&cids=\(record.cid.string)&cids=\(head.dataCID.string)")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/vnd.ipld.car")
            let car = try SyncCAR.parse(response)
            #expect(car.roots.isEmpty)
            #expect(car.blocks.map(\.cid) == [head.commitCID, record.cid, head.dataCID])
            #expect(car.blocks[1].bytes == record.bytes)

            let unknown = CID.dagCBOR(hashing: [1, 2, 3])
            let missing = try await server.get(
                client, "com.atproto.sync.getBlocks", "did=\(alice.did)&cids=\(head.commitCID.string)&cids=\(unknown.string)")
            #expect(missing.status == .badRequest)
            let body = try errorBody(missing)
            #expect(body["error"] == "BlockNotFound")
            #expect(body["message"]?.contains(unknown.string) == true)

            for query in ["did=\(alice.did)", "did=\(alice.did)&cids=nope", "did=nope&cids=\(head.commitCID.string)"] {
                let bad = try await server.get(client, "com.atproto.sync.getBlocks", query)
                #expect(bad.status == .badRequest)
                #expect(try errorBody(bad)["error"] == "InvalidRequest")
            }
        }
    }
}

/// A POSIX socket client with a small receive buffer that reads only when asked (a slow download).
final class SlowReader: @unchecked Sendable {  // used by one thread at a time
    let fd: Int32

    init(port: Int, receiveBuffer: Int32) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTP.Failure(description: "socket failed") }
        var size = receiveBuffer
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw RawHTTP.Failure(description: "connect failed: \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw RawHTTP.Failure(description: "send failed") }
    }

    /// The response head's headers (lower-cased names) and the body bytes read with it.
    func readHead() throws -> (headers: [String: String], body: [UInt8]) {
        var received: [UInt8] = []
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            var buffer = [UInt8](repeating: 0, count: 1024)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw RawHTTP.Failure(description: "connection closed before the head") }
            received += buffer[0..<count]
            if let end = received.indices.dropLast(3).first(where: { Array(received[$0..<($0 + 4)]) == separator }) {
                var headers: [String: String] = [:]
                for line in String(decoding: received[..<end], as: UTF8.self).split(separator: "\r\n").dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return (headers, Array(received[(end + 4)...]))
            }
        }
    }

    func read(count: Int) throws -> [UInt8] {
        var received: [UInt8] = []
        received.reserveCapacity(count)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while received.count < count {
            let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, count - received.count), 0) }
            guard got > 0 else { throw RawHTTP.Failure(description: "connection closed after \(received.count) of \(count) bytes") }
            received += buffer[0..<got]
        }
        return received
    }
}
