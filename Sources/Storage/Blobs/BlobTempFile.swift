import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A temporary file an upload is written into, chunk by chunk. Closed by ``BlobStore/store(_:did:cid:mimeType:size:now:)``
/// or removed by ``discard()``. Every call that touches the disk runs on ``BlockingFileWork``'s threads.
public final class BlobTempFile {
    public let path: String
    private var descriptor: Int32

    /// Creates (exclusively) the file at `path`.
    static func create(path: String) async throws(StorageError) -> BlobTempFile {
        let descriptor = try await BlockingFileWork.run { () throws(StorageError) -> Int32 in
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw StorageError(.queryFailed, "cannot create blob temp file \(path): errno \(errno)")
            }
            return descriptor
        }
        return BlobTempFile(path: path, descriptor: descriptor)
    }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(path)
        }
    }

    /// Appends bytes (callers gather the request body's chunks into larger writes).
    public func write(_ bytes: [UInt8]) async throws(StorageError) {
        let descriptor = self.descriptor
        let path = self.path
        guard descriptor >= 0 else { throw StorageError(.queryFailed, "blob temp file \(path) is closed") }
        try await BlockingFileWork.run { () throws(StorageError) in
            let failure: Int32? = bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Glibc.write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return errno
                    }
                    offset += written
                }
                return nil
            }
            if let failure {
                throw StorageError(.queryFailed, "cannot write blob temp file \(path): errno \(failure)")
            }
        }
    }

    /// Flushes to disk and closes (before the rename that makes the blob permanent).
    func syncAndClose() async throws(StorageError) {
        let descriptor = self.descriptor
        guard descriptor >= 0 else { return }
        self.descriptor = -1
        let path = self.path
        try await BlockingFileWork.run { () throws(StorageError) in
            defer { close(descriptor) }
            guard fsync(descriptor) == 0 else {
                throw StorageError(.queryFailed, "cannot sync blob temp file \(path): errno \(errno)")
            }
        }
    }

    /// Closes and removes the file (a failed or refused upload).
    public func discard() async {
        let descriptor = self.descriptor
        self.descriptor = -1
        let path = self.path
        await BlockingFileWork.perform {
            if descriptor >= 0 { close(descriptor) }
            unlink(path)
        }
    }
}
