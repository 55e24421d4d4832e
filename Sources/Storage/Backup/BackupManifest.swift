import Foundation

/// `manifest.json` of a backup folder: what was backed up, from which database state, and the size and SHA-256 of
/// every file (paths relative to the backup folder, `/`-separated). Written last, so a folder without one is an
/// interrupted backup.
public struct BackupManifest: Codable, Sendable, Equatable {
    /// The manifest format; readers refuse a version they do not know.
    public static let currentVersion = 1
    public static let fileName = "manifest.json"
    public static let databaseFileName = "pds.sqlite"
    public static let secretsFileName = "secrets.toml"
    public static let blobFolderName = "blobs"

    public struct File: Codable, Sendable, Equatable {
        public var path: String
        public var size: Int64
        public var sha256: String

        public init(path: String, size: Int64, sha256: String) {
            self.path = path
            self.size = size
            self.sha256 = sha256
        }
    }

    public var version: Int
    /// When the database snapshot was taken (RFC 3339, UTC).
    public var createdAt: String
    /// Source revision of the `pds` binary that took the backup.
    public var sourceRevision: String
    /// The firehose head (highest `seq` ever assigned) in the snapshot; nil before the first event.
    public var headSeq: Int64?
    /// Names of the applied migrations in the snapshot, oldest first.
    public var schemaMigrations: [String]
    /// Accounts in the snapshot.
    public var accounts: Int
    /// Blob rows in the snapshot whose file was gone by the time it was copied (deleted by the running server
    /// after the snapshot: garbage-collected uploads or deleted accounts), as `<did>/<cid>` (`quarantine/<did>/<cid>`
    /// for a taken-down blob).
    public var missingBlobs: [String]
    public var files: [File]

    enum CodingKeys: String, CodingKey {
        case version
        case createdAt = "created_at"
        case sourceRevision = "source_revision"
        case headSeq = "head_seq"
        case schemaMigrations = "schema_migrations"
        case accounts
        case missingBlobs = "missing_blobs"
        case files
    }

    public init(
        version: Int = Self.currentVersion, createdAt: String, sourceRevision: String, headSeq: Int64?,
        schemaMigrations: [String], accounts: Int, missingBlobs: [String], files: [File]
    ) {
        self.version = version
        self.createdAt = createdAt
        self.sourceRevision = sourceRevision
        self.headSeq = headSeq
        self.schemaMigrations = schemaMigrations
        self.accounts = accounts
        self.missingBlobs = missingBlobs
        self.files = files
    }

    /// Total bytes of the listed files.
    public var totalBytes: Int64 { files.reduce(0) { $0 + $1.size } }

    /// The manifest as pretty-printed JSON with sorted keys.
    public func encoded() throws(StorageError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(self)
        } catch {
            throw StorageError(.backupFailed, "cannot encode the backup manifest: \(error)")
        }
    }

    /// Reads `<folder>/manifest.json`.
    public static func read(from folder: URL) throws(StorageError) -> BackupManifest {
        let url = folder.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw StorageError(
                .backupInvalid, "\(url.path) does not exist or cannot be read (not a backup, or an interrupted one)")
        }
        let manifest: BackupManifest
        do {
            manifest = try JSONDecoder().decode(BackupManifest.self, from: data)
        } catch {
            throw StorageError(.backupInvalid, "\(url.path) is not a valid backup manifest: \(error)")
        }
        guard manifest.version == currentVersion else {
            throw StorageError(
                .backupInvalid, "\(url.path) has manifest version \(manifest.version); this pds reads version \(currentVersion)")
        }
        for file in manifest.files where !BackupFiles.isSafeRelativePath(file.path) {
            throw StorageError(.backupInvalid, "\(url.path) lists an unsafe path '\(file.path)'")
        }
        return manifest
    }
}

extension StorageError.Code {
    /// Taking a backup failed (the destination is not usable, a copy or the SQLite backup failed).
    public static let backupFailed = StorageError.Code(rawValue: "backupFailed")
    /// A backup folder fails verification (missing or malformed manifest, checksum mismatch, database not intact).
    public static let backupInvalid = StorageError.Code(rawValue: "backupInvalid")
    /// A restore was refused before anything was written (the target data folder is not empty).
    public static let restoreRefused = StorageError.Code(rawValue: "restoreRefused")
}
