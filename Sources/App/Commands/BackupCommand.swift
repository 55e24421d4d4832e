import ArgumentParser
import Foundation
import Logging
import Storage
import Telemetry

/// `pds backup DEST`: an online backup of the data folder; `pds backup --verify SRC`: check one.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Take a consistent backup of the data folder (also while the server runs), or verify one.",
        discussion: """
            Writes into PATH (created; must be empty): pds.sqlite (SQLite online backup of one consistent \
            snapshot), blobs/<did>/<cid> for every blob in that snapshot (hard links when on the same file \
            system), secrets.toml, and manifest.json (created_at, source revision, firehose head seq, schema \
            migrations, every file with its size and SHA-256), written last. Reads the data folder named by \
            --data-dir / --config like `pds serve`.

            With --verify, checks the backup in PATH instead: every file against the manifest, and \
            PRAGMA integrity_check on the database. Exit status 0 when fine, 1 otherwise (one line on stderr).
            """
    )

    @OptionGroup var options: ConfigOptions

    @Argument(help: ArgumentHelp("Backup folder to create (or, with --verify, to check).", valueName: "path"))
    var path: String

    @Flag(help: "Verify the backup in PATH instead of taking one.")
    var verify = false

    @Flag(help: "Print the manifest as JSON.")
    var json = false

    func run() async throws {
        let folder = URL(fileURLWithPath: path, isDirectory: true)
        let manifest: BackupManifest
        if verify {
            do throws(StorageError) {
                manifest = try await DatabaseBackup.verify(folder)
            } catch {
                throw commandFailure(error.message)
            }
        } else {
            let dataFolder = DataFolder(path: try options.loadOrExit().config.dataDirectory)
            let start = ContinuousClock.now
            do throws(StorageError) {
                let database = try await dataFolder.openExistingDatabase(logger: Logger(label: "pds.backup"))
                defer { try? database.close() }
                manifest = try await dataFolder.backup(database: database, into: folder)
            } catch {
                throw commandFailure(error.message)
            }
            if !json {
                print("backup written to \(folder.path) in \((ContinuousClock.now - start).milliseconds) ms")
            }
        }
        if json {
            print(TextTable.json(manifest), terminator: "")
            return
        }
        var lines: [(String, String)] = [
            ("verified", verify ? "ok" : "not yet (run pds backup --verify)"),
            ("created_at", manifest.createdAt),
            ("source_revision", manifest.sourceRevision),
            ("head_seq", manifest.headSeq.map(String.init) ?? "none"),
            ("schema", manifest.schemaMigrations.last ?? "none"),
            ("accounts", "\(manifest.accounts)"),
            ("files", "\(manifest.files.count)"),
            ("bytes", "\(manifest.totalBytes) (\(TextTable.bytes(manifest.totalBytes)))"),
        ]
        if !manifest.missingBlobs.isEmpty {
            lines.append(("missing_blobs", "\(manifest.missingBlobs.count) (deleted by the server after the snapshot)"))
        }
        print(TextTable.keyValues(lines), terminator: "")
    }
}

/// `pds restore SRC`: restore a backup into an empty data folder.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a new or empty data folder (verifying it first).",
        discussion: """
            Verifies the backup in PATH like `pds backup --verify`, then copies the database and secrets.toml \
            and hard-links (or copies) the blobs into the data folder named by --data-dir / --config, which must \
            not exist or be empty: restore never overwrites data. Start `pds serve` on it afterwards; the \
            firehose continues above the backed-up head. Exit status 0 when restored, 1 otherwise.
            """
    )

    @OptionGroup var options: ConfigOptions

    @Argument(help: ArgumentHelp("Backup folder to restore from.", valueName: "path"))
    var path: String

    func run() async throws {
        let target = URL(fileURLWithPath: try options.loadOrExit().config.dataDirectory, isDirectory: true)
        do throws(StorageError) {
            let manifest = try await DatabaseBackup.restore(
                from: URL(fileURLWithPath: path, isDirectory: true), into: target)
            print(
                "restored the backup of \(manifest.createdAt) (head seq \(manifest.headSeq.map(String.init) ?? "none"), "
                    + "\(manifest.accounts) accounts, \(manifest.files.count) files) into \(target.path)")
        } catch {
            throw commandFailure(error.message)
        }
    }
}
