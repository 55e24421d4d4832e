import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// File helpers of backups and restores: streaming SHA-256, hard-link-or-copy, folder checks.
enum BackupFiles {
    static let chunkSize = 1 << 20

    /// Size and lower-case hex SHA-256 of the file at `path`, read in 1 MiB chunks.
    static func digest(path: String) throws(StorageError) -> (size: Int64, sha256: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StorageError(.backupInvalid, "cannot read \(path)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            while let chunk = try handle.read(upToCount: chunkSize), !chunk.isEmpty {
                hasher.update(data: chunk)
                size += Int64(chunk.count)
            }
        } catch {
            throw StorageError(.backupInvalid, "cannot read \(path): \(error)")
        }
        return (size, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    /// Hard-links `source` to `target` when both are on one file system, else copies it; the target must not
    /// exist. Returns false (without throwing) when `source` does not exist.
    @discardableResult
    static func linkOrCopy(from source: String, to target: String) throws(StorageError) -> Bool {
        if link(source, target) == 0 { return true }
        let linkError = errno
        if linkError == ENOENT, !FileManager.default.fileExists(atPath: source) { return false }
        do {
            try FileManager.default.copyItem(atPath: source, toPath: target)
            return true
        } catch {
            if !FileManager.default.fileExists(atPath: source) { return false }
            throw StorageError(.backupFailed, "cannot copy \(source) to \(target): \(error)")
        }
    }

    /// Creates `url` (and its parents) with mode 0700 when missing.
    static func createFolder(_ url: URL) throws(StorageError) {
        do {
            try FileManager.default.createDirectory(
                at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StorageError(.backupFailed, "cannot create \(url.path): \(error)")
        }
    }

    /// Whether `url` does not exist or is a folder without entries (hidden ones included).
    static func isMissingOrEmptyFolder(_ url: URL) throws(StorageError) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return true }
        guard isDirectory.boolValue else { return false }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: url.path).isEmpty
        } catch {
            throw StorageError(.backupFailed, "cannot list \(url.path): \(error)")
        }
    }

    /// A relative, `/`-separated path with no empty, `.` or `..` component (cannot leave the backup folder).
    static func isSafeRelativePath(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0 != "." && $0 != ".."
        }
    }
}
