import ATProto
import Foundation
import GRDB
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Blobs as files: `<root>/<did>/<cid>`, uploads in `<root>/tmp/<random>` until stored, taken-down blobs in
/// `<root>/quarantine/<did>/<cid>` (never served). Rows in the `blob` table.
public final class DiskBlobStore: BlobStore {
    public let root: URL
    let database: Database
    private let bytes: Atomic<Int64>

    /// Opens (creating the folders of) a blob store under `root` (`<data>/blobs`), counting the bytes on disk.
    public init(root: URL, database: Database) throws(StorageError) {
        self.root = root
        self.database = database
        do {
            try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        } catch {
            throw StorageError(.openFailed, "cannot create blob folder \(root.path): \(error)")
        }
        bytes = Atomic(Self.du(root))
    }

    public var storedBytes: Int64 { bytes.load(ordering: .relaxed) }

    public func makeTempFile() async throws(StorageError) -> BlobTempFile {
        try await BlobTempFile.create(path: root.appendingPathComponent("tmp").appendingPathComponent(UUID().uuidString).path)
    }

    // Moving a file into place and unlinking one happen inside the database's write transaction that adds or
    // removes the row: SQLite runs one writer at a time, so an upload, a commit releasing the same CID and the
    // garbage collector can never leave a row without its file (or delete the file of a row just re-added).
    // That runs on GRDB's writer thread; the rest of the file work here runs on ``BlockingFileWork``'s threads,
    // never on the caller's.

    public func store(
        _ temp: BlobTempFile, did: String, cid: CID, mimeType: String, size: Int64, now: Date
    ) async throws(StorageError) {
        let target: String
        do {
            try await temp.syncAndClose()
            let folder = try folder(did: did)
            try await BlockingFileWork.run { () throws(StorageError) in
                do {
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                } catch {
                    throw StorageError(.queryFailed, "cannot store blob \(cid.string): \(error)")
                }
            }
            target = folder.appendingPathComponent(cid.string).path
        } catch {
            await temp.discard()
            throw error
        }
        let tempPath = temp.path
        let tempKey = URL(fileURLWithPath: tempPath).lastPathComponent
        do {
            try await database.write(kind: "blob_insert") { db in
                let takenDown = try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM blob WHERE did = ? AND cid = ? AND takedown_ref IS NOT NULL",
                    arguments: [did, Data(cid.bytes)]) ?? false
                guard !takenDown else { throw StorageError(.blobNotFound, "Blob has been takendown, cannot re-upload") }
                let existed = FileManager.default.fileExists(atPath: target)
                guard rename(tempPath, target) == 0 else {
                    throw StorageError(.queryFailed, "cannot move blob \(cid.string) into place: errno \(errno)")
                }
                if !existed { bytes.add(size, ordering: .relaxed) }
                try db.execute(
                    sql: """
                        INSERT INTO blob (did, cid, mime_type, size, temp_key, created_at) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (did, cid) DO UPDATE SET created_at = excluded.created_at
                        WHERE blob.temp_key IS NOT NULL
                        """,
                    arguments: [did, Data(cid.bytes), mimeType, size, tempKey, Datetime.format(now)])
            }
        } catch {
            await temp.discard()
            throw error
        }
    }

    public func contents(did: String, cid: CID) async throws(StorageError) -> [UInt8]? {
        let path = try folder(did: did).appendingPathComponent(cid.string).path
        return await BlockingFileWork.perform { FileManager.default.contents(atPath: path).map { [UInt8]($0) } }
    }

    public func filePath(did: String, cid: CID) async throws(StorageError) -> String? {
        let path = try folder(did: did).appendingPathComponent(cid.string).path
        return await BlockingFileWork.perform {
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            return path
        }
    }

    public func deleteFiles(did: String, cids: [CID]) async {
        guard !cids.isEmpty, (try? folder(did: did)) != nil else { return }
        do {
            try await database.write(kind: "blob_release") { db in
                let uploadedAgain = try db.makeStatement(sql: "SELECT 1 FROM blob WHERE did = ? AND cid = ?")
                for cid in cids where try Bool.fetchOne(uploadedAgain, arguments: [did, Data(cid.bytes)]) == nil {
                    removeFile(did: did, cid: cid)
                }
            }
        } catch {
            // The rows are gone already; a file left behind only costs disk space until the account is deleted.
        }
    }

    public func setTakedown(did: String, cid: CID, ref: String?) async throws(StorageError) -> Bool {
        try await database.write(kind: "blob_takedown") { db in
            guard try RepoStore.setBlobTakedown(db: db, did: did, cid: cid, ref: ref) else { return false }
            if ref == nil {
                try self.unquarantine(did: did, cid: cid)
            } else {
                try self.quarantine(did: did, cid: cid)
            }
            return true
        }
    }

    public func quarantine(did: String, cid: CID) throws(StorageError) {
        try move(cid.string, from: try folder(did: did), to: try quarantineFolder(did: did))
    }

    public func unquarantine(did: String, cid: CID) throws(StorageError) {
        try move(cid.string, from: try quarantineFolder(did: did), to: try folder(did: did))
    }

    public func deleteAll(did: String) async {
        let folders = [try? folder(did: did), try? quarantineFolder(did: did)].compactMap({ $0 })
        let removed = await BlockingFileWork.perform {
            var removed: Int64 = 0
            for folder in folders {
                let size = Self.du(folder)
                guard (try? FileManager.default.removeItem(at: folder)) != nil else { continue }
                removed += size
            }
            return removed
        }
        bytes.subtract(removed, ordering: .relaxed)
    }

    /// Renames `name` from one folder to the other (creating it); a missing source is not an error.
    private func move(_ name: String, from source: URL, to target: URL) throws(StorageError) {
        let from = source.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: from) else { return }
        do {
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        } catch {
            throw StorageError(.queryFailed, "cannot create blob folder \(target.path): \(error)")
        }
        guard rename(from, target.appendingPathComponent(name).path) == 0 else {
            throw StorageError(.queryFailed, "cannot move blob \(name): errno \(errno)")
        }
    }

    public func collectGarbage(uploadedBefore cutoff: Date) async throws(StorageError) -> Int {
        try await database.write(kind: "blob_gc") { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT did, cid FROM blob WHERE temp_key IS NOT NULL AND created_at < ?",
                arguments: [Datetime.format(cutoff)])
            for row in rows {
                let did: String = row["did"]
                let raw: Data = row["cid"]
                try db.execute(
                    sql: "DELETE FROM blob WHERE did = ? AND cid = ? AND temp_key IS NOT NULL", arguments: [did, raw])
                if let cid = try? CID(bytes: raw) { removeFile(did: did, cid: cid) }
            }
            return rows.count
        }
    }

    /// Unlinks one blob's file, also a quarantined one, and keeps ``storedBytes`` in step (called inside a write
    /// transaction).
    private func removeFile(did: String, cid: CID) {
        guard let folder = try? folder(did: did), let quarantine = try? quarantineFolder(did: did) else { return }
        for path in [folder, quarantine].map({ $0.appendingPathComponent(cid.string).path }) {
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if unlink(path) == 0 { bytes.subtract(Int64(info.st_size), ordering: .relaxed) }
        }
    }

    /// The folder of a DID's blobs; refuses DIDs that could escape the blob root.
    private func folder(did: String) throws(StorageError) -> URL {
        guard DID.isValid(did), !did.contains("/"), !did.hasPrefix(".") else {
            throw StorageError(.queryFailed, "invalid DID for a blob folder: \(did)")
        }
        return root.appendingPathComponent(did, isDirectory: true)
    }

    /// The quarantine folder of a DID's taken-down blobs.
    private func quarantineFolder(did: String) throws(StorageError) -> URL {
        try folder(did: did).deletingLastPathComponent().appendingPathComponent("quarantine", isDirectory: true)
            .appendingPathComponent(did, isDirectory: true)
    }

    /// Bytes of the regular files under `url` (excluding temp files).
    private static func du(_ url: URL) -> Int64 {
        let keys: Set<URLResourceKey> = [.fileSizeKey, .isRegularFileKey]
        guard let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: Array(keys)) else { return 0 }
        var total: Int64 = 0
        for case let file as URL in enumerator where file.deletingLastPathComponent().lastPathComponent != "tmp" {
            guard let values = try? file.resourceValues(forKeys: keys), values.isRegularFile == true else { continue }
            total += Int64(values.fileSize ?? 0)
        }
        return total
    }
}
