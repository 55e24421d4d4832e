import Foundation
import Logging
import Storage

/// The files of a data folder: `pds.sqlite`, `blobs/`, `secrets.toml`.
struct DataFolder: Sendable {
    let url: URL

    init(path: String) {
        url = URL(fileURLWithPath: path, isDirectory: true)
    }

    var databaseURL: URL { url.appendingPathComponent("pds.sqlite") }
    var blobRoot: URL { url.appendingPathComponent("blobs", isDirectory: true) }
    var secretsFile: URL { URL(fileURLWithPath: SecretsFile(dataDirectory: url.path).path) }

    /// Opens the existing database of the folder without migrating it (for commands that run beside or instead of
    /// the server); a missing file is an error rather than a new empty database.
    func openExistingDatabase(logger: Logger) async throws(StorageError) -> Storage.Database {
        guard FileManager.default.fileExists(atPath: databaseURL.path) else {
            throw StorageError(
                .openFailed, "no database at \(databaseURL.path) (is --data-dir or storage.data_directory right?)")
        }
        return try await Storage.Database.open(path: databaseURL.path, logger: logger)
    }

    /// Takes a backup of this folder into `destination` (see ``DatabaseBackup/create``).
    func backup(database: Storage.Database, into destination: URL) async throws(StorageError) -> BackupManifest {
        try await DatabaseBackup.create(
            database: database, blobRoot: blobRoot, secretsFile: secretsFile, destination: destination,
            sourceRevision: BuildInfo.revision)
    }
}
