import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A temporary file an upload is written into, chunk by chunk. Closed by ``BlobStore/store(_:did:cid:mimeType:size:now:)``
/// or removed by ``discard()``.
public final class BlobTempFile {
    public let path: String
    private var descriptor: Int32

    init(path: String) throws(StorageError) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StorageError(.queryFailed, "cannot create blob temp file \(path): errno \(errno)")
        }
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(path)
        }
    }

    /// Appends bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        guard descriptor >= 0 else { throw StorageError(.queryFailed, "blob temp file \(path) is closed") }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw StorageError(.queryFailed, "cannot write blob temp file \(path): errno \(errno)")
            }
            offset += written
        }
    }

    /// Flushes to disk and closes (before the rename that makes the blob permanent).
    func syncAndClose() throws(StorageError) {
        guard descriptor >= 0 else { return }
        defer {
            close(descriptor)
            descriptor = -1
        }
        guard fsync(descriptor) == 0 else {
            throw StorageError(.queryFailed, "cannot sync blob temp file \(path): errno \(errno)")
        }
    }

    /// Closes and removes the file (a failed or refused upload).
    public func discard() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(path)
    }
}
