import ATProto
import Foundation
import Hummingbird
import Logging
import NIOCore
import Storage

/// `com.atproto.sync.getRepo` (streamed CAR), `getLatestCommit`, `getRecord` (record with its MST proof) and
/// `getBlocks`.
struct SyncRepoRoutes: Sendable {
    let services: PDSServices
    let access: SyncAccess
    let metrics: SyncMetrics

    static let getRepoNSID = "com.atproto.sync.getRepo"
    static let getRecordNSID = "com.atproto.sync.getRecord"
    static let getBlocksNSID = "com.atproto.sync.getBlocks"

    func add(to xrpc: XRPCRouter) {
        xrpc.query(Self.getRepoNSID) { request, context in try await getRepo(request, context: context) }
        xrpc.query("com.atproto.sync.getLatestCommit") { request, _ in try await getLatestCommit(request) }
        xrpc.query(Self.getRecordNSID) { request, _ in try await getRecord(request) }
        xrpc.query(Self.getBlocksNSID) { request, _ in try await getBlocks(request) }
    }

    // MARK: getRepo

    /// The whole repository (or the blocks after `since`) as a CAR rooted at the head commit.
    ///
    /// The CAR is first written, page by page from one database snapshot, to an anonymous file beside the database
    /// (``SpoolFile``), then sent from that file with its `Content-Length`. The snapshot is thus held only while
    /// the file is written, at disk speed (about 0.3 s for 100,000 records), not while a slow client downloads:
    /// with one database for every account, a reader held for minutes would keep the WAL from starting over for
    /// everyone. Memory stays flat (one page and one 256 KiB chunk); a failure while writing the file is a clean
    /// XRPC error instead of a broken-off download.
    func getRepo(_ request: Request, context: PDSRequestContext) async throws -> Response {
        let params = request.xrpcParameters
        let did = try SyncAccess.did(params)
        let since = try SyncAccess.since(params)
        _ = try await access.availableAccount(did, request: request)
        let start = ContinuousClock.now
        let spooled = try await spool(did: did, since: since, context: context)
        let spoolTime = ContinuousClock.now - start
        let (file, size, rev, blocks) = (spooled.file, spooled.size, spooled.rev, spooled.blocks)
        let logger = context.logger
        let metrics = self.metrics
        let body = ResponseBody { writer in
            var sent = 0
            do {
                while sent < size {
                    let chunk = try await file.read(offset: sent, count: min(Self.sendChunkBytes, size - sent))
                    guard !chunk.isEmpty else { throw StorageError(.queryFailed, "repo export file ended early") }
                    try await writer.write(ByteBuffer(bytes: chunk))
                    sent += chunk.count
                }
                try await writer.finish(nil)
            } catch {
                metrics.bytesSent(route: Self.getRepoNSID, sent)
                metrics.repoExport(.error)
                logger.warning(
                    "repo export broke off",
                    metadata: ["did": "\(did)", "since": "\(since ?? "")", "bytes": "\(sent)", "size": "\(size)", "error": "\(error)"])
                throw error
            }
            metrics.bytesSent(route: Self.getRepoNSID, sent)
            metrics.repoExport(.ok)
            logger.info(
                "repo exported",
                metadata: [
                    "did": "\(did)", "since": "\(since ?? "")", "rev": "\(rev)", "bytes": "\(sent)", "blocks": "\(blocks)",
                    "snapshot_ms": "\(Self.milliseconds(spoolTime))",
                    "duration_ms": "\(Self.milliseconds(ContinuousClock.now - start))",
                ])
        }
        var headers: HTTPFields = [.contentType: SyncAccess.carContentType]
        headers[.contentLength] = String(size)
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Bytes read from the export file per write to the client.
    static let sendChunkBytes = 256 * 1024

    struct Spooled: Sendable {
        let file: SpoolFile
        let size: Int
        let rev: String
        let blocks: Int
    }

    /// Writes the CAR of `did` (blocks after `since`) to an anonymous file; the snapshot is released on return.
    func spool(did: String, since: String?, context: PDSRequestContext) async throws -> Spooled {
        guard var stream = try await RepoExportStream.open(database: services.database, did: did, since: since) else {
            throw XRPCError.invalidRequest("Could not find repo for DID: \(did)", code: .repoNotFound)
        }
        let directory = ((services.database.path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("spool")
        do {
            let file = try await SpoolFile.create(in: directory)
            let pending = ChunkQueue()
            var car = try CARWriter(roots: [stream.head.commitCID]) { pending.append($0) }
            var size = 0
            while true {
                let page = try await stream.nextPage()
                if page.isEmpty { break }
                for block in page { try car.write(block) }
                let chunks = pending.take()
                size += chunks.reduce(0) { $0 + $1.count }
                try await file.append(chunks)
            }
            try car.finish()
            let chunks = pending.take()
            size += chunks.reduce(0) { $0 + $1.count }
            try await file.append(chunks)
            return Spooled(file: file, size: size, rev: stream.head.rev, blocks: car.blocksWritten)
        } catch {
            metrics.repoExport(.error)
            context.logger.error(
                "repo export failed", metadata: ["did": "\(did)", "since": "\(since ?? "")", "error": "\(error)"])
            throw XRPCError.internalServerError()
        }
    }

    // MARK: getLatestCommit

    struct LatestCommit: Encodable, Sendable {
        let cid: String
        let rev: String
    }

    func getLatestCommit(_ request: Request) async throws -> Response {
        let did = try SyncAccess.did(request.xrpcParameters)
        _ = try await access.availableAccount(did, request: request)
        guard let head = try await services.repos.head(did: did) else {
            throw XRPCError.invalidRequest("Could not find root for DID: \(did)", code: .repoNotFound)
        }
        return try JSONBody.response(LatestCommit(cid: head.commitCID.string, rev: head.rev))
    }

    // MARK: getRecord

    /// The head commit, the MST path to the record and the record block; for a missing record the same path is
    /// the proof of its absence (the reference answers it with 200 too).
    func getRecord(_ request: Request) async throws -> Response {
        let params = request.xrpcParameters
        let did = try SyncAccess.did(params)
        let collection = try params.requiredString("collection")
        let rkey = try params.requiredString("rkey")
        guard NSID.isValid(collection) else { throw XRPCError.invalidRequest("collection must be a valid nsid") }
        guard RecordKey.isValid(rkey) else { throw XRPCError.invalidRequest("rkey must be a valid record key") }
        _ = try await access.availableAccount(did, request: request)
        guard let car = try await services.repos.recordProofCAR(did: did, path: "\(collection)/\(rkey)") else {
            throw XRPCError.invalidRequest("Could not find repo for DID: \(did)", code: .repoNotFound)
        }
        metrics.bytesSent(route: Self.getRecordNSID, car.count)
        return Self.carResponse(car)
    }

    // MARK: getBlocks

    func getBlocks(_ request: Request) async throws -> Response {
        let params = request.xrpcParameters
        let did = try SyncAccess.did(params)
        let raw = params.all("cids").filter { !$0.isEmpty }
        guard !raw.isEmpty else { throw XRPCError.invalidRequest("Params must have the property \"cids\"") }
        let cids = try raw.map { try SyncAccess.cid($0, name: "cids") }
        _ = try await access.availableAccount(did, request: request)
        let (found, missing) = try await services.repos.blocks(did: did, cids: cids)
        guard missing.isEmpty else {
            throw XRPCError.invalidRequest(
                "Could not find cids: \(missing.map(\.string).joined(separator: ","))", code: Self.blockNotFound)
        }
        let car = CARWriter.encode(roots: [], blocks: found)
        metrics.bytesSent(route: Self.getBlocksNSID, car.count)
        return Self.carResponse(car)
    }

    static let blockNotFound: XRPCError.Code = "BlockNotFound"

    // MARK: Helpers

    static func carResponse(_ bytes: [UInt8]) -> Response {
        Response(
            status: .ok, headers: [.contentType: SyncAccess.carContentType], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.1f", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }
}

/// The chunks a ``CARWriter`` hands over while a page is encoded, sent after it.
private final class ChunkQueue: @unchecked Sendable {
    // Used by one response-writing task only.
    private var chunks: [[UInt8]] = []

    func append(_ chunk: [UInt8]) { chunks.append(chunk) }

    func take() -> [[UInt8]] {
        defer { chunks.removeAll(keepingCapacity: true) }
        return chunks
    }
}
