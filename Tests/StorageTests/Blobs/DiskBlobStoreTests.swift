import ATProto
import Foundation
import GRDB
import Testing

@testable import Storage

@Suite("Disk blob store: rows and files stay together")
struct DiskBlobStoreTests {
    static let bytes = Array("a blob that is uploaded twice".utf8)
    static let cid = CID.raw(hashing: bytes)

    static func upload(_ store: DiskBlobStore, did: String, at date: Date) async throws {
        let temp = try await store.makeTempFile()
        try await temp.write(bytes)
        try await store.store(temp, did: did, cid: cid, mimeType: "text/plain", size: Int64(bytes.count), now: date)
    }

    static func rowCreatedAt(_ fixture: StoreFixture, did: String) async throws -> String? {
        try await fixture.database.read(kind: "test") { db in
            try String.fetchOne(db, sql: "SELECT created_at FROM blob WHERE did = ? AND cid = ?", arguments: [did, Data(cid.bytes)])
        }
    }

    @Test("a release that arrives after the same CID was uploaded again keeps the new upload's file")
    func lateReleaseKeepsReuploadedFile() async throws {
        let fixture = try await StoreFixture.make()
        defer { fixture.close() }
        let did = "did:plc:blobber"
        let store = try DiskBlobStore(root: fixture.dir.url.appendingPathComponent("blobs"), database: fixture.database)
        try await Self.upload(store, did: did, at: Date())
        // A commit drops the last reference: the row goes in its transaction, the file after it...
        try await fixture.database.write(kind: "test") { db in
            try db.execute(sql: "DELETE FROM blob WHERE did = ?", arguments: [did])
        }
        // ...and before the file is deleted, the client uploads the same bytes again.
        try await Self.upload(store, did: did, at: Date())
        await store.deleteFiles(did: did, cids: [Self.cid])
        #expect(try await store.contents(did: did, cid: Self.cid) == Self.bytes)
        #expect(try await Self.rowCreatedAt(fixture, did: did) != nil)
        // With no row, the release deletes the file.
        try await fixture.database.write(kind: "test") { db in
            try db.execute(sql: "DELETE FROM blob WHERE did = ?", arguments: [did])
        }
        await store.deleteFiles(did: did, cids: [Self.cid])
        #expect(try await store.contents(did: did, cid: Self.cid) == nil)
        #expect(store.storedBytes == 0)
    }

    @Test("uploading a waiting blob again restarts its grace period; garbage collection removes row and file together")
    func reuploadRestartsGracePeriod() async throws {
        let fixture = try await StoreFixture.make()
        defer { fixture.close() }
        let did = "did:plc:blobber"
        let store = try DiskBlobStore(root: fixture.dir.url.appendingPathComponent("blobs"), database: fixture.database)
        let now = Date()
        try await Self.upload(store, did: did, at: now.addingTimeInterval(-10 * 3600))
        try await Self.upload(store, did: did, at: now)
        #expect(try await store.collectGarbage(uploadedBefore: now.addingTimeInterval(-6 * 3600)) == 0)
        #expect(try await store.contents(did: did, cid: Self.cid) == Self.bytes)
        #expect(try await store.collectGarbage(uploadedBefore: now.addingTimeInterval(1)) == 1)
        #expect(try await store.contents(did: did, cid: Self.cid) == nil)
        #expect(try await Self.rowCreatedAt(fixture, did: did) == nil)
        #expect(store.storedBytes == 0)
    }
}
