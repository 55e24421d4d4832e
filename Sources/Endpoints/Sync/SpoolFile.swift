#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Storage

/// An anonymous temporary file: created in `directory` and unlinked at once, so it vanishes with its descriptor
/// (also when the process dies). Written once from the front, then read at any offset; every system call runs on
/// ``BlockingFileWork``'s threads, never on an event loop.
final class SpoolFile: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    static func create(in directory: String) async throws(StorageError) -> SpoolFile {
        try await BlockingFileWork.run { () throws(StorageError) -> SpoolFile in
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw StorageError(.queryFailed, "cannot create \(directory): \(error)")
            }
            let path = (directory as NSString).appendingPathComponent("spool-\(UUID().uuidString)")
            let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw StorageError(.queryFailed, "cannot create \(path): errno \(errno)") }
            unlink(path)
            return SpoolFile(descriptor: descriptor)
        }
    }

    /// Appends `chunks` in order.
    func append(_ chunks: [[UInt8]]) async throws(StorageError) {
        guard !chunks.isEmpty else { return }
        let descriptor = self.descriptor
        try await BlockingFileWork.run { () throws(StorageError) in
            for chunk in chunks {
                var done = 0
                while done < chunk.count {
                    let written = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress! + done, chunk.count - done) }
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw StorageError(.queryFailed, "spool write failed: errno \(errno)")
                    }
                    done += written
                }
            }
        }
    }

    /// Up to `count` bytes at `offset` (fewer only at the end).
    func read(offset: Int, count: Int) async throws(StorageError) -> [UInt8] {
        let descriptor = self.descriptor
        return try await BlockingFileWork.run { () throws(StorageError) -> [UInt8] in
            var buffer = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
                if got < 0 {
                    if errno == EINTR { continue }
                    throw StorageError(.queryFailed, "spool read failed: errno \(errno)")
                }
                if got == 0 { break }
                done += got
            }
            buffer.removeSubrange(done...)
            return buffer
        }
    }
}
