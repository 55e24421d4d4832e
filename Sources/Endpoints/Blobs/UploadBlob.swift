import ATProto
import Foundation
import Hummingbird
import Storage

/// `com.atproto.repo.uploadBlob` (PDS-REFERENCE §6): the body is streamed to a temp file while hashed and
/// counted (over ``ServerSettings/blobUploadLimit`` → 413 without buffering), its type sniffed from the first
/// bytes (else the `Content-Type`, else `application/octet-stream`), then stored as a temporary upload until a
/// record references it. Auth: an access token, or a service JWT from the account for this method (the video
/// service's uploads).
enum UploadBlob {
    static func add(to xrpc: XRPCRouter, services: PDSServices, store: any BlobStore, settings: ServerSettings, metrics: BlobMetrics) {
        xrpc.procedure("com.atproto.repo.uploadBlob") { request, _ in
            let caller = try await services.requireAccessOrUserServiceAuth(
                request, nsid: "com.atproto.repo.uploadBlob", allowDeactivated: true)
            let limit = settings.blobUploadLimit
            if let declared = request.headers[.contentLength] {
                guard let length = Int(declared), length >= 0 else { throw XRPCError.invalidRequest("invalid content-length") }
                if length > limit {
                    metrics.upload(.tooLarge)
                    throw XRPCError.payloadTooLarge()
                }
            }
            let temp = try await store.makeTempFile()
            let hasher = StreamingSHA256()
            var size: Int64 = 0
            var head: [UInt8] = []
            // The body's chunks are gathered into writes of `writeSize` bytes: each write is one hop to the file
            // threads (BlockingFileWork), so the event loop never waits for the disk.
            var pending: [UInt8] = []
            pending.reserveCapacity(Self.writeSize)
            do {
                for try await buffer in request.body {
                    size += Int64(buffer.readableBytes)
                    if size > Int64(limit) {
                        await temp.discard()
                        metrics.upload(.tooLarge)
                        throw XRPCError.payloadTooLarge()
                    }
                    if head.count < MIMESniffer.prefixLength {
                        head += buffer.readableBytesView.prefix(MIMESniffer.prefixLength - head.count)
                    }
                    buffer.withUnsafeReadableBytes { bytes in
                        hasher.update(bytes)
                        pending.append(contentsOf: bytes)
                    }
                    if pending.count >= Self.writeSize {
                        try await temp.write(pending)
                        pending.removeAll(keepingCapacity: true)
                    }
                }
                if !pending.isEmpty { try await temp.write(pending) }
            } catch let error as XRPCError {
                throw error
            } catch {
                await temp.discard()
                metrics.upload(.error)
                throw error
            }
            guard let digest = hasher.finish() else {
                await temp.discard()
                metrics.upload(.error)
                throw XRPCError.internalServerError()
            }
            let cid = CID.fromSHA256(codec: CID.rawCodec, digest: digest)
            let mimeType = MIMESniffer.sniff(head) ?? declaredType(request) ?? "application/octet-stream"
            do {
                try await store.store(temp, did: caller.did, cid: cid, mimeType: mimeType, size: size, now: Date())
            } catch {
                metrics.upload(.error)
                // A taken-down blob cannot be uploaded again (400 BlobNotFound, as the reference refuses it).
                if let storage = error as? StorageError, let mapped = XRPCError.repoWrite(storage) { throw mapped }
                throw error
            }
            // A blob an imported record already names (account migration) is kept from the start.
            try await services.repos.adoptUploadedBlob(did: caller.did, cid: cid)
            metrics.upload(.ok, bytes: size)
            metrics.storeSize(store.storedBytes)
            let blob = BlobRef(ref: cid, mimeType: mimeType, size: size)
            return try RepoJSON.response(.map(["blob": blob.dataValue]))
        }
    }

    /// Bytes gathered before each write to the temp file.
    static let writeSize = 256 * 1024

    /// The request's media type without parameters, when it names one.
    static func declaredType(_ request: Request) -> String? {
        guard let header = request.headers[.contentType] else { return nil }
        let type = header.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard type.contains("/"), type != "*/*" else { return nil }
        return type
    }
}
