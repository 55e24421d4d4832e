import ATProto
import Foundation
import Hummingbird
import Logging
import Storage

/// Account migration, the repository and its blobs (PDS-REFERENCE §5.4 steps 3–4):
///
/// - `com.atproto.repo.importRepo`: full session, not taken down (a deactivated account may, that is the point).
///   The CAR body is read as it streams in (at most ``ServerSettings/maxRepoImportBytes``, else 413
///   `PayloadTooLarge`; every block's CID checked), must have exactly one root (`expected one root`), and replaces
///   the repository by the reference's diff semantics (``RepoStore/importRepository(did:root:blocks:backlinks:)``).
///   No event while the account is deactivated; an active account's import is announced with a fresh commit and
///   `#sync`. Refused with `Service is not accepting repo imports` when ``ServerSettings/acceptingRepoImports``
///   is off.
/// - `com.atproto.repo.listMissingBlobs?limit&cursor`: any session; blobs the records name that were not
///   uploaded yet, `{blobs: [{cid, recordUri}], cursor}` (cursor: the last CID).
enum ImportRepoRoutes {
    static let importNSID = "com.atproto.repo.importRepo"
    static let missingBlobsNSID = "com.atproto.repo.listMissingBlobs"

    static func add(to xrpc: XRPCRouter, services: PDSServices, settings: ServerSettings) {
        xrpc.procedure(importNSID) { (request, _) async throws -> Void in
            let caller = try await services.requireAccess(request, allowDeactivated: true, level: .full)
            guard settings.acceptingRepoImports else {
                throw XRPCError.invalidRequest("Service is not accepting repo imports")
            }
            let (root, blocks, size) = try await readCAR(request, limit: settings.maxRepoImportBytes)
            let outcome: RepoStore.ImportOutcome
            do {
                outcome = try await services.repos.importRepository(
                    did: caller.did, root: root, blocks: blocks,
                    backlinks: { collection, fields in RecordPreparer.backlinks(collection: collection, fields: fields) })
            } catch let error as StorageError {
                if let mapped = XRPCError.repoWrite(error) { throw mapped }
                throw error
            }
            if !outcome.releasedBlobs.isEmpty {
                await services.blobs?.deleteFiles(did: caller.did, cids: outcome.releasedBlobs)
            }
            services.accountMetrics.record(.repoImported)
            var metadata: Logger.Metadata = ["event": "repo_imported", "did": .string(caller.did)]
            metadata["commit"] = .string(outcome.commitCID.string)
            metadata["rev"] = .string(outcome.rev)
            metadata["bytes"] = .stringConvertible(size)
            metadata["blocks"] = .stringConvertible(blocks.count)
            metadata["created"] = .stringConvertible(outcome.created)
            metadata["updated"] = .stringConvertible(outcome.updated)
            metadata["deleted"] = .stringConvertible(outcome.deleted)
            metadata["missing_blobs"] = .stringConvertible(outcome.missingBlobs)
            if let seq = outcome.seq { metadata["seq"] = .stringConvertible(seq) }
            services.logger.info("repository imported", metadata: metadata)
        }

        xrpc.query(missingBlobsNSID) { (request, _) async throws -> MissingBlobsOutput in
            let caller = try await services.requireAccess(request, allowDeactivated: true)
            let parameters = request.xrpcParameters
            let limit = try parameters.int("limit", default: 500, range: 1...1000)
            let cursor: CID? = try parameters.string("cursor").map { text throws(XRPCError) in
                do {
                    return try CID(string: text)
                } catch {
                    throw XRPCError.invalidRequest("Invalid cursor (a CID): \(text)")
                }
            }
            let missing = try await services.repos.missingBlobs(did: caller.did, after: cursor, limit: limit)
            var blobs: [RecordBlob] = []
            for blob in missing {
                let uri: String = "at://" + caller.did + "/" + blob.collection + "/" + blob.rkey
                blobs.append(RecordBlob(cid: blob.cid.string, recordUri: uri))
            }
            let next: String? = missing.count == limit ? missing.last?.cid.string : nil
            return MissingBlobsOutput(blobs: blobs, cursor: next)
        }
    }

    /// Reads the CAR body block by block: at most `limit` bytes (413 beyond, also without a Content-Length), CIDs
    /// checked, exactly one root. Malformed input is 400 `InvalidRequest`.
    static func readCAR(_ request: Request, limit: Int) async throws -> (root: CID, blocks: [CID: [UInt8]], size: Int) {
        if let declared = request.headers[.contentLength] {
            guard let length = Int(declared), length >= 0 else { throw XRPCError.invalidRequest("invalid content-length") }
            if length > limit { throw XRPCError.payloadTooLarge() }
        }
        var reader = CARReader(limits: CARReader.Limits(maxTotalBytes: limit), verifyCIDs: true)
        var blocks: [CID: [UInt8]] = [:]
        var size = 0
        do {
            for try await buffer in request.body {
                size += buffer.readableBytes
                if size > limit { throw XRPCError.payloadTooLarge() }
                for block in try reader.feed(buffer.readableBytesView) {
                    blocks[block.cid] = block.bytes
                }
            }
            try reader.finish()
        } catch let error as CARError {
            throw XRPCError.invalidRequest("Invalid CAR file: \(error.message)")
        }
        guard size > 0 else { throw XRPCError.invalidRequest("A request body is expected but none was provided") }
        guard let roots = reader.roots, roots.count == 1 else { throw XRPCError.invalidRequest("expected one root") }
        return (roots[0], blocks, size)
    }

    // MARK: Output

    struct RecordBlob: Encodable, Sendable {
        var cid: String
        var recordUri: String
    }

    struct MissingBlobsOutput: Encodable, Sendable {
        var blobs: [RecordBlob]
        var cursor: String?
    }
}
