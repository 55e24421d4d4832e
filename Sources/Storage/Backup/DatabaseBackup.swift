import ATProto
import Foundation
import GRDB

/// Online backups of a data folder, their verification, and restores.
///
/// A backup folder holds `pds.sqlite` (a consistent snapshot taken with SQLite's online backup API inside one
/// read transaction, so the server keeps writing meanwhile), `blobs/<did>/<cid>` for every row of the `blob` table
/// (`blobs/quarantine/<did>/<cid>` for a taken-down one)
/// in that snapshot (hard links when on the same file system, else copies), `secrets.toml`, and
/// ``BackupManifest`` (`manifest.json`, written last) with the size and SHA-256 of every file.
public enum DatabaseBackup {
    /// Takes a backup of `database` (with its blob files under `blobRoot` and the secrets file, when it exists)
    /// into `destination`, which must be missing or empty.
    public static func create(
        database: Database, blobRoot: URL, secretsFile: URL?, destination: URL, sourceRevision: String
    ) async throws(StorageError) -> BackupManifest {
        guard try BackupFiles.isMissingOrEmptyFolder(destination) else {
            throw StorageError(.backupFailed, "backup destination \(destination.path) exists and is not an empty folder")
        }
        try BackupFiles.createFolder(destination)
        let databaseURL = destination.appendingPathComponent(BackupManifest.databaseFileName)

        // 1. The database snapshot: one read transaction on the live pool, copied page by page into a new file.
        let createdAt = Datetime.format(Date())
        let copy: DatabaseQueue
        do {
            copy = try DatabaseQueue(path: databaseURL.path)
        } catch {
            throw StorageError(.backupFailed, "cannot create \(databaseURL.path): \(error)")
        }
        try await database.read(kind: "backup") { source in
            try copy.writeWithoutTransaction { target in try source.backup(to: target) }
        }
        do {
            try copy.close()
        } catch {
            throw StorageError(.backupFailed, "cannot close \(databaseURL.path): \(error)")
        }

        // 2. What the snapshot holds; the copy is made self-contained (rollback journal, no -wal/-shm files).
        let snapshot = try await Snapshot.read(databaseURL)

        // 3-5. Blob files, secrets and checksums: blocking file work, on a thread of its own; then the manifest
        // (atomically, last).
        let (files, missing) = try await BlockingFileWork.run { () throws(StorageError) -> ([BackupManifest.File], [String]) in
            try copyFiles(blobs: snapshot.blobs, blobRoot: blobRoot, secretsFile: secretsFile, destination: destination)
        }
        let manifest = BackupManifest(
            createdAt: createdAt, sourceRevision: sourceRevision, headSeq: snapshot.headSeq,
            schemaMigrations: snapshot.migrations, accounts: snapshot.accounts, missingBlobs: missing, files: files)
        let encoded = try manifest.encoded()
        try await BlockingFileWork.run { () throws(StorageError) in
            do {
                try encoded.write(to: destination.appendingPathComponent(BackupManifest.fileName), options: .atomic)
            } catch {
                throw StorageError(.backupFailed, "cannot write the backup manifest: \(error)")
            }
        }
        return manifest
    }

    /// Steps 3-5 of ``create(database:blobRoot:secretsFile:destination:sourceRevision:)``: links or copies the blob
    /// files the snapshot references and the secrets file into `destination`, then sizes and hashes every file.
    /// Returns the manifest's file list and the blobs that were missing.
    private static func copyFiles(
        blobs: [BlobRef], blobRoot: URL, secretsFile: URL?, destination: URL
    ) throws(StorageError) -> ([BackupManifest.File], [String]) {
        // 3. The blob files the snapshot references.
        let blobFolder = destination.appendingPathComponent(BackupManifest.blobFolderName)
        var missing: [String] = []
        var relativePaths = [BackupManifest.databaseFileName]
        for blob in blobs {
            let relative = "\(BackupManifest.blobFolderName)/\(blob.path)"
            let target = destination.appendingPathComponent(relative)
            try BackupFiles.createFolder(target.deletingLastPathComponent())
            let source = blobRoot.appendingPathComponent(blob.path).path
            if try BackupFiles.linkOrCopy(from: source, to: target.path) {
                relativePaths.append(relative)
            } else {
                missing.append(blob.path)
            }
        }
        try BackupFiles.createFolder(blobFolder)

        // 4. The secrets (a copy: the server may rewrite its file).
        if let secretsFile, FileManager.default.fileExists(atPath: secretsFile.path) {
            let target = destination.appendingPathComponent(BackupManifest.secretsFileName).path
            do {
                try FileManager.default.copyItem(atPath: secretsFile.path, toPath: target)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
            } catch {
                throw StorageError(.backupFailed, "cannot copy \(secretsFile.path): \(error)")
            }
            relativePaths.append(BackupManifest.secretsFileName)
        }

        // 5. Checksums (the caller writes the manifest, last).
        var files: [BackupManifest.File] = []
        for relative in relativePaths {
            let digest = try BackupFiles.digest(path: destination.appendingPathComponent(relative).path)
            files.append(BackupManifest.File(path: relative, size: digest.size, sha256: digest.sha256))
        }
        return (files, missing)
    }

    /// Checks a backup folder: the manifest reads, every listed file exists with its size and SHA-256, every blob
    /// of the database is listed (or recorded as missing at backup time), and `PRAGMA integrity_check` passes.
    /// Throws `backupInvalid` naming the problems.
    @discardableResult
    public static func verify(_ folder: URL) async throws(StorageError) -> BackupManifest {
        let manifest = try BackupManifest.read(from: folder)
        // Hashing every file is blocking file work: on a thread of its own.
        var problems = try await BlockingFileWork.run { () throws(StorageError) -> [String] in
            var problems: [String] = []
            for file in manifest.files {
                let path = folder.appendingPathComponent(file.path).path
                guard FileManager.default.fileExists(atPath: path) else {
                    problems.append("\(file.path) is missing")
                    continue
                }
                let digest = try BackupFiles.digest(path: path)
                if digest.size != file.size {
                    problems.append("\(file.path) has \(digest.size) bytes, the manifest says \(file.size)")
                } else if digest.sha256 != file.sha256 {
                    problems.append("\(file.path) does not match its SHA-256 in the manifest")
                }
            }
            return problems
        }
        let listed = Set(manifest.files.map(\.path))
        if !listed.contains(BackupManifest.databaseFileName) {
            problems.append("the manifest does not list \(BackupManifest.databaseFileName)")
        }
        if problems.isEmpty {
            let databaseURL = folder.appendingPathComponent(BackupManifest.databaseFileName)
            let check = try await integrityCheck(databaseURL)
            problems += check.problems
            let missing = Set(manifest.missingBlobs)
            for blob in check.blobs {
                if !listed.contains("\(BackupManifest.blobFolderName)/\(blob.path)"), !missing.contains(blob.path) {
                    problems.append("blob \(blob.path) of the database is not in the backup")
                }
            }
        }
        guard problems.isEmpty else {
            let shown = problems.prefix(5).joined(separator: "; ")
            let more = problems.count > 5 ? " (and \(problems.count - 5) more)" : ""
            throw StorageError(.backupInvalid, "backup \(folder.path) is not valid: \(shown)\(more)")
        }
        return manifest
    }

    /// Restores the backup in `source` into `dataDirectory`, which must be missing or empty: verifies the backup
    /// first, then copies the database and secrets and hard-links (or copies) the blobs. On failure, whatever was
    /// written into `dataDirectory` is removed again.
    @discardableResult
    public static func restore(from source: URL, into dataDirectory: URL) async throws(StorageError) -> BackupManifest {
        guard try BackupFiles.isMissingOrEmptyFolder(dataDirectory) else {
            throw StorageError(
                .restoreRefused, "\(dataDirectory.path) is not empty; restore only into a new or empty data folder")
        }
        let existed = FileManager.default.fileExists(atPath: dataDirectory.path)
        let manifest = try await verify(source)
        do throws(StorageError) {
            try BackupFiles.createFolder(dataDirectory)
            for file in manifest.files {
                let from = source.appendingPathComponent(file.path).path
                let target = dataDirectory.appendingPathComponent(file.path)
                try BackupFiles.createFolder(target.deletingLastPathComponent())
                if file.path.hasPrefix(BackupManifest.blobFolderName + "/") {
                    // Blob files are immutable (content-addressed, replaced only by rename): a link is safe.
                    guard try BackupFiles.linkOrCopy(from: from, to: target.path) else {
                        throw StorageError(.backupFailed, "\(from) disappeared during the restore")
                    }
                } else {
                    do {
                        try FileManager.default.copyItem(atPath: from, toPath: target.path)
                        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target.path)
                    } catch {
                        throw StorageError(.backupFailed, "cannot copy \(from) to \(target.path): \(error)")
                    }
                }
            }
            try BackupFiles.createFolder(
                dataDirectory.appendingPathComponent(BackupManifest.blobFolderName).appendingPathComponent("tmp"))
        } catch {
            if existed {
                let children = (try? FileManager.default.contentsOfDirectory(atPath: dataDirectory.path)) ?? []
                for child in children {
                    try? FileManager.default.removeItem(at: dataDirectory.appendingPathComponent(child))
                }
            } else {
                try? FileManager.default.removeItem(at: dataDirectory)
            }
            throw error
        }
        return manifest
    }

    // MARK: Reading a snapshot file

    struct BlobRef: Sendable {
        let did: String
        let cid: String
        /// Taken down: its file is in the blob store's quarantine folder.
        let quarantined: Bool

        /// The file's path under the blob root: `<did>/<cid>`, or `quarantine/<did>/<cid>` when taken down.
        var path: String { (quarantined ? "quarantine/" : "") + "\(did)/\(cid)" }
    }

    private struct Snapshot: Sendable {
        var headSeq: Int64?
        var migrations: [String]
        var accounts: Int
        var blobs: [BlobRef]

        /// Switches the copy to a rollback journal (the online backup keeps the source's WAL flag in the header)
        /// and reads what the manifest records.
        static func read(_ url: URL) async throws(StorageError) -> Snapshot {
            do {
                let queue = try DatabaseQueue(path: url.path)
                defer { try? queue.close() }
                try await queue.writeWithoutTransaction { db in
                    _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
                }
                return try await queue.read { db in
                    let accounts =
                        try db.tableExists("account") ? try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account") ?? 0 : 0
                    return Snapshot(
                        headSeq: try db.tableExists("firehose_event") ? try EventLog.head(db) : nil,
                        migrations: try MigrationRunner.appliedMigrations(db).map(\.name),
                        accounts: accounts,
                        blobs: try DatabaseBackup.blobs(db))
                }
            } catch {
                throw (error as? StorageError)
                    ?? StorageError(.backupFailed, "cannot read the database copy \(url.path): \(error)")
            }
        }
    }

    /// Every row of `blob` as `(did, cid string)`; refuses DIDs that could escape a blob folder.
    static func blobs(_ db: GRDB.Database) throws -> [BlobRef] {
        guard try db.tableExists("blob") else { return [] }
        let hasTakedown = try db.columns(in: "blob").contains { $0.name == "takedown_ref" }
        let takedown = hasTakedown ? "takedown_ref IS NOT NULL" : "0"
        return try Row.fetchAll(db, sql: "SELECT did, cid, \(takedown) AS quarantined FROM blob ORDER BY did, cid").map { row in
            let did: String = row["did"]
            let raw: Data = row["cid"]
            guard DID.isValid(did), !did.contains("/"), !did.hasPrefix(".") else {
                throw StorageError(.backupInvalid, "blob row with an invalid DID '\(did)'")
            }
            return BlobRef(did: did, cid: try CID(bytes: [UInt8](raw)).string, quarantined: row["quarantined"] as Bool)
        }
    }

    /// `PRAGMA integrity_check` and the blob rows of a backup's database, opened read-only.
    private static func integrityCheck(_ url: URL) async throws(StorageError) -> (problems: [String], blobs: [BlobRef]) {
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: url.path, configuration: configuration)
            defer { try? queue.close() }
            return try await queue.read { db in
                let rows = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                if rows != ["ok"] {
                    return (rows.prefix(3).map { "\(BackupManifest.databaseFileName) integrity check: \($0)" }, [])
                }
                return ([], try DatabaseBackup.blobs(db))
            }
        } catch {
            if let storageError = error as? StorageError { throw storageError }
            let reason = (error as? DatabaseError)?.message ?? "\(error)"
            throw StorageError(.backupInvalid, "\(url.path) is not a readable SQLite database: \(reason)")
        }
    }
}
