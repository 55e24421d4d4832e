import ATProto
import Foundation
import GRDB
import Testing

@testable import Storage

@Suite("Backups: manifest, verify, restore; usage sums; WAL checkpoints")
struct DatabaseBackupTests {
    /// A fixture with one account holding two records and one stored blob, plus a secrets file.
    struct Populated {
        let fixture: StoreFixture
        let blobs: DiskBlobStore
        let blobBytes: [UInt8]
        let blobCID: CID
        let did: String
        let secretsFile: URL

        static func make() async throws -> Populated {
            let fixture = try await StoreFixture.make()
            let created = try await fixture.account("alice")
            let did = created.account.did
            _ = try await fixture.repos.applyWrites(
                did: did,
                writes: [
                    RecordWrite(action: .create, collection: "app.bsky.feed.post", rkey: "3aaaaaaaaaaa2", record: post("one")),
                    RecordWrite(action: .create, collection: "app.bsky.feed.post", rkey: "3aaaaaaaaaab2", record: post("two")),
                ])
            let blobs = try DiskBlobStore(root: fixture.dir.url.appendingPathComponent("blobs"), database: fixture.database)
            let bytes = Array("backup me, I am a blob".utf8)
            let cid = CID.raw(hashing: bytes)
            let temp = try await blobs.makeTempFile()
            try await temp.write(bytes)
            try await blobs.store(temp, did: did, cid: cid, mimeType: "text/plain", size: Int64(bytes.count), now: Date())
            let secrets = fixture.dir.url.appendingPathComponent("secrets.toml")
            try Data("[secrets]\njwt_secret = \"0123456789abcdef0123\"\n".utf8).write(to: secrets)
            return Populated(
                fixture: fixture, blobs: blobs, blobBytes: bytes, blobCID: cid, did: did, secretsFile: secrets)
        }

        static func post(_ text: String) -> EncodedRecord {
            EncodedRecord(["$type": "app.bsky.feed.post", "text": .string(text), "createdAt": "2026-11-25T10:00:00.000Z"])
        }

        func backup(into destination: URL) async throws -> BackupManifest {
            try await DatabaseBackup.create(
                database: fixture.database, blobRoot: blobs.root, secretsFile: secretsFile, destination: destination,
                sourceRevision: "test-rev")
        }
    }

    @Test func backupWritesManifestAndVerifies() async throws {
        let source = try await Populated.make()
        defer { source.fixture.close() }
        let destination = source.fixture.dir.url.appendingPathComponent("backup-1")
        let manifest = try await source.backup(into: destination)

        let head = try await source.fixture.database.firehoseHead()
        #expect(manifest.version == BackupManifest.currentVersion)
        #expect(manifest.sourceRevision == "test-rev")
        #expect(manifest.headSeq == head)
        #expect(manifest.headSeq != nil)
        #expect(manifest.accounts == 1)
        #expect(manifest.schemaMigrations == EmbeddedMigrations.all.map(\.name))
        #expect(manifest.missingBlobs.isEmpty)
        let paths = Set(manifest.files.map(\.path))
        #expect(paths == ["pds.sqlite", "secrets.toml", "blobs/\(source.did)/\(source.blobCID.string)"])
        let blobFile = try #require(manifest.files.first { $0.path.hasPrefix("blobs/") })
        #expect(blobFile.size == Int64(source.blobBytes.count))
        // For a raw-codec CID the SHA-256 of the file is the CID's digest.
        #expect(blobFile.sha256 == source.blobCID.bytes.suffix(32).map { String(format: "%02x", $0) }.joined())
        // The copy is self-contained: a rollback-journal file with no -wal next to it.
        #expect(!FileManager.default.fileExists(atPath: destination.appendingPathComponent("pds.sqlite-wal").path))

        let verified = try await DatabaseBackup.verify(destination)
        #expect(verified == manifest)
        let reread = try BackupManifest.read(from: destination)
        #expect(reread == manifest)
    }

    @Test func backupRefusesANonEmptyDestination() async throws {
        let source = try await Populated.make()
        defer { source.fixture.close() }
        let destination = source.fixture.dir.url.appendingPathComponent("occupied")
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: destination.appendingPathComponent("keep.txt"))
        await #expect(throws: StorageError.self) { _ = try await source.backup(into: destination) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination.path) == ["keep.txt"])
    }

    enum Damage: CaseIterable {
        case blobFlipped, databaseTruncated, secretsRemoved, manifestRemoved, blobUnlisted, manifestGarbage
    }

    @Test(arguments: Damage.allCases)
    func verifyDetectsDamage(_ damage: Damage) async throws {
        let source = try await Populated.make()
        defer { source.fixture.close() }
        let destination = source.fixture.dir.url.appendingPathComponent("backup-damaged")
        let manifest = try await source.backup(into: destination)
        let blobPath = destination.appendingPathComponent("blobs/\(source.did)/\(source.blobCID.string)").path
        switch damage {
        case .blobFlipped:
            // The backup's blob may be a hard link to the live file: replace it rather than write through it.
            var bytes = source.blobBytes
            bytes[0] ^= 0xFF
            try FileManager.default.removeItem(atPath: blobPath)
            try Data(bytes).write(to: URL(fileURLWithPath: blobPath))
        case .databaseTruncated:
            let handle = try #require(FileHandle(forWritingAtPath: destination.appendingPathComponent("pds.sqlite").path))
            try handle.truncate(atOffset: 4096)
            try handle.close()
        case .secretsRemoved:
            try FileManager.default.removeItem(at: destination.appendingPathComponent("secrets.toml"))
        case .manifestRemoved:
            try FileManager.default.removeItem(at: destination.appendingPathComponent("manifest.json"))
        case .blobUnlisted:
            var edited = manifest
            edited.files.removeAll { $0.path.hasPrefix("blobs/") }
            try edited.encoded().write(to: destination.appendingPathComponent("manifest.json"))
        case .manifestGarbage:
            try Data("{\"version\": 1".utf8).write(to: destination.appendingPathComponent("manifest.json"))
        }
        do {
            try await DatabaseBackup.verify(destination)
            Issue.record("verify accepted a backup with damage \(damage)")
        } catch {
            #expect(error.code == .backupInvalid)
        }
        // The live blob is untouched by damage done to the backup.
        #expect(try await source.blobs.contents(did: source.did, cid: source.blobCID) == source.blobBytes)
    }

    @Test func verifyDetectsACorruptPageThatKeepsTheFileSize() async throws {
        let source = try await Populated.make()
        defer { source.fixture.close() }
        let destination = source.fixture.dir.url.appendingPathComponent("backup-corrupt")
        var manifest = try await source.backup(into: destination)
        // Corrupt the database and re-sign the manifest, so only the SQLite integrity check can notice.
        let databasePath = destination.appendingPathComponent("pds.sqlite").path
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: databasePath)))
        let pageSize = Int(bytes[16]) << 8 | Int(bytes[17])
        for index in pageSize + 8..<(pageSize + 200) { bytes[index] = 0xA5 }
        try Data(bytes).write(to: URL(fileURLWithPath: databasePath))
        let digest = try BackupFiles.digest(path: databasePath)
        for index in manifest.files.indices where manifest.files[index].path == "pds.sqlite" {
            manifest.files[index].sha256 = digest.sha256
        }
        try manifest.encoded().write(to: destination.appendingPathComponent("manifest.json"))
        do {
            try await DatabaseBackup.verify(destination)
            Issue.record("verify accepted a corrupt database")
        } catch {
            #expect(error.code == .backupInvalid)
        }
    }

    @Test func restoreRefusesNonEmptyFoldersAndRestoresIntoEmptyOnes() async throws {
        let source = try await Populated.make()
        defer { source.fixture.close() }
        let backup = source.fixture.dir.url.appendingPathComponent("backup")
        let manifest = try await source.backup(into: backup)

        let occupied = source.fixture.dir.url.appendingPathComponent("occupied")
        try FileManager.default.createDirectory(at: occupied, withIntermediateDirectories: true)
        try Data().write(to: occupied.appendingPathComponent(".hidden"))
        do {
            try await DatabaseBackup.restore(from: backup, into: occupied)
            Issue.record("restore wrote into a non-empty folder")
        } catch {
            #expect(error.code == .restoreRefused)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: occupied.path) == [".hidden"])
        // An existing data folder (a database file) is refused too.
        do {
            try await DatabaseBackup.restore(from: backup, into: source.fixture.dir.url)
            Issue.record("restore wrote over a live data folder")
        } catch {
            #expect(error.code == .restoreRefused)
        }

        let empty = source.fixture.dir.url.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let restored = try await DatabaseBackup.restore(from: backup, into: empty)
        #expect(restored == manifest)
        let missing = source.fixture.dir.url.appendingPathComponent("new/data")
        try await DatabaseBackup.restore(from: backup, into: missing)

        for target in [empty, missing] {
            #expect(FileManager.default.fileExists(atPath: target.appendingPathComponent("blobs/tmp").path))
            #expect(
                FileManager.default.contents(atPath: target.appendingPathComponent("secrets.toml").path)
                    == FileManager.default.contents(atPath: source.secretsFile.path))
            let database = try await Storage.Database.open(
                path: target.appendingPathComponent("pds.sqlite").path, logger: testLogger)
            defer { try? database.close() }
            #expect(try await database.pendingMigrations().isEmpty)
            #expect(try await database.firehoseHead() == manifest.headSeq)
            let repos = RepoStore(database: database)
            let record = try await repos.record(did: source.did, collection: "app.bsky.feed.post", rkey: "3aaaaaaaaaab2")
            #expect(record != nil)
            let store = try DiskBlobStore(root: target.appendingPathComponent("blobs"), database: database)
            #expect(try await store.contents(did: source.did, cid: source.blobCID) == source.blobBytes)
            // The restored database is a separate file: writing to it leaves the backup valid.
            try await database.setMeta("restored_test", "1")
        }
        try await DatabaseBackup.verify(backup)
    }

    @Test func aTakenDownBlobIsBackedUpFromQuarantineAndRestoredThere() async throws {
        let source = try await Populated.make()
        defer { source.fixture.close() }
        #expect(try await source.fixture.repos.setBlobTakedown(did: source.did, cid: source.blobCID, ref: "case-1"))
        try source.blobs.quarantine(did: source.did, cid: source.blobCID)
        let backup = source.fixture.dir.url.appendingPathComponent("backup")
        let manifest = try await source.backup(into: backup)
        let quarantined = "blobs/quarantine/\(source.did)/\(source.blobCID.string)"
        #expect(manifest.files.contains { $0.path == quarantined })
        #expect(manifest.missingBlobs.isEmpty)
        try await DatabaseBackup.verify(backup)

        let target = source.fixture.dir.url.appendingPathComponent("restored")
        try await DatabaseBackup.restore(from: backup, into: target)
        let database = try await Storage.Database.open(path: target.appendingPathComponent("pds.sqlite").path, logger: testLogger)
        defer { try? database.close() }
        let store = try DiskBlobStore(root: target.appendingPathComponent("blobs"), database: database)
        #expect(try await store.contents(did: source.did, cid: source.blobCID) == nil)
        try store.unquarantine(did: source.did, cid: source.blobCID)
        #expect(try await store.contents(did: source.did, cid: source.blobCID) == source.blobBytes)
    }

    @Test func restoreRefusesAnInvalidBackupAndWritesNothing() async throws {
        let source = try await Populated.make()
        defer { source.fixture.close() }
        let backup = source.fixture.dir.url.appendingPathComponent("backup")
        _ = try await source.backup(into: backup)
        try FileManager.default.removeItem(at: backup.appendingPathComponent("secrets.toml"))
        let target = source.fixture.dir.url.appendingPathComponent("target")
        do {
            try await DatabaseBackup.restore(from: backup, into: target)
            Issue.record("restored an invalid backup")
        } catch {
            #expect(error.code == .backupInvalid)
        }
        #expect(!FileManager.default.fileExists(atPath: target.path))
    }

    @Test func blobDeletedAfterTheSnapshotIsRecordedAsMissing() async throws {
        let source = try await Populated.make()
        defer { source.fixture.close() }
        // The row stays, the file goes: what a backup sees when the server deletes a blob mid-backup.
        try FileManager.default.removeItem(
            at: source.blobs.root.appendingPathComponent(source.did).appendingPathComponent(source.blobCID.string))
        let destination = source.fixture.dir.url.appendingPathComponent("backup")
        let manifest = try await source.backup(into: destination)
        #expect(manifest.missingBlobs == ["\(source.did)/\(source.blobCID.string)"])
        try await DatabaseBackup.verify(destination)
    }

    @Test func manifestRefusesPathsLeavingTheFolder() throws {
        #expect(BackupFiles.isSafeRelativePath("blobs/did:plc:a/bafk"))
        for path in ["", "/etc/passwd", "../x", "blobs/../../x", "a//b", "./a"] {
            #expect(!BackupFiles.isSafeRelativePath(path), "\(path)")
        }
    }

    // MARK: Usage

    @Test func usageSumsRecordsBlocksAndBlobsPerAccount() async throws {
        let source = try await Populated.make()
        defer { source.fixture.close() }
        try await source.fixture.account("bob")
        let before = try await source.fixture.database.usage()
        let aliceBefore = try #require(before.first { $0.did == source.did })
        #expect(aliceBefore.handle == "alice.test")
        #expect(aliceBefore.records == 2)
        #expect(aliceBefore.blobs == 1)
        #expect(aliceBefore.blobBytes == Int64(source.blobBytes.count))

        // Known extra rows: 3 records of 100 bytes and 2 blocks of 50 for bob, 2 blobs of 1000 and 24.
        try await source.fixture.database.write(kind: "test") { db in
            for index in 0..<3 {
                try db.execute(
                    sql: """
                        INSERT INTO record (did, collection, rkey, cid, content, rev, indexed_at)
                        VALUES ('did:plc:bob', 'x.test.item', ?, ?, ?, 'r', 'now')
                        """,
                    arguments: ["k\(index)", Data([UInt8(index)]), Data(repeating: 1, count: 100)])
            }
            for index in 0..<2 {
                try db.execute(
                    sql: "INSERT INTO repo_block (did, cid, rev, content) VALUES ('did:plc:bob', ?, 'r', ?)",
                    arguments: [Data([9, UInt8(index)]), Data(repeating: 2, count: 50)])
            }
            for (index, size) in [1000, 24].enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO blob (did, cid, mime_type, size, created_at)
                        VALUES ('did:plc:bob', ?, 'image/png', ?, 'now')
                        """,
                    arguments: [Data([7, UInt8(index)]), size])
            }
        }
        let after = try await source.fixture.database.usage()
        let bobBefore = try #require(before.first { $0.did == "did:plc:bob" })
        let bob = try #require(after.first { $0.did == "did:plc:bob" })
        #expect(bob.records == bobBefore.records + 3)
        #expect(bob.recordBytes == bobBefore.recordBytes + 300)
        #expect(bob.repoBlockBytes == bobBefore.repoBlockBytes + 100)
        #expect(bob.blobs == 2)
        #expect(bob.blobBytes == 1024)
        #expect(bob.totalBytes == bob.recordBytes + bob.repoBlockBytes + bob.blobBytes)
        #expect(after.first { $0.did == source.did } == aliceBefore)
        // Largest first, totals over everything.
        #expect(after.map(\.totalBytes) == after.map(\.totalBytes).sorted(by: >))
        let total = AccountUsage.total(after)
        #expect(total.records == after.reduce(0) { $0 + $1.records })
        #expect(total.blobBytes == aliceBefore.blobBytes + 1024)
        #expect(total.totalBytes == after.reduce(0) { $0 + $1.totalBytes })

        let summary = try await source.fixture.database.summary()
        #expect(summary.migrations == EmbeddedMigrations.all.map(\.name))
        #expect(summary.headSeq == (try await source.fixture.database.firehoseHead()))
    }

    // MARK: Checkpoints

    @Test func truncatingCheckpointEmptiesTheWAL() async throws {
        let source = try await Populated.make()
        defer { source.fixture.close() }
        let walPath = source.fixture.dir.databasePath + "-wal"
        let walSize = { (try? FileManager.default.attributesOfItem(atPath: walPath)[.size] as? NSNumber)?.int64Value ?? 0 }
        #expect(walSize() > 0)
        let passive = try await source.fixture.database.checkpoint(.passive)
        #expect(!passive.busy)
        #expect(passive.walFrames >= passive.checkpointedFrames)
        let changes = try await source.fixture.database.writerTotalChanges()
        #expect(changes == passive.totalChanges)
        let truncate = try await source.fixture.database.checkpoint(.truncate)
        #expect(!truncate.busy)
        #expect(walSize() == 0)
        // The busy timeout is back to the configured 5 s afterwards.
        let timeout = try await source.fixture.database.writeWithoutTransaction(kind: "test") { db in
            try Int.fetchOne(db, sql: "PRAGMA busy_timeout")
        }
        #expect(timeout == 5000)
    }
}
