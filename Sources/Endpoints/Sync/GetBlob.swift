import ATProto
import Foundation
import HTTPTypes
import Hummingbird
import Storage

/// `com.atproto.sync.getBlob` (PDS-REFERENCE §6): the stored bytes with the stored MIME type, streamed from
/// disk, with the reference's safety headers (`nosniff`, `attachment`, a sandboxing CSP) and single-range
/// requests (206 with `Content-Range`, 416 when unsatisfiable). Unreferenced uploads and taken-down blobs are
/// `BlobNotFound`.
struct GetBlob: Sendable {
    let services: PDSServices
    let access: SyncAccess
    let metrics: SyncMetrics
    let files = FileIO()

    static let nsid = "com.atproto.sync.getBlob"
    static let blobNotFound: XRPCError.Code = "BlobNotFound"
    static let contentSecurityPolicy = "default-src 'none'; sandbox"

    func add(to xrpc: XRPCRouter) {
        xrpc.query(Self.nsid) { request, context in try await getBlob(request, context: context) }
    }

    func getBlob(_ request: Request, context: PDSRequestContext) async throws -> Response {
        let params = request.xrpcParameters
        let did = try SyncAccess.did(params)
        let cid = try SyncAccess.cid(try params.requiredString("cid"), name: "cid")
        _ = try await access.availableAccount(did, request: request)
        let notFound = XRPCError.invalidRequest("Blob not found", code: Self.blobNotFound)
        guard let store = services.blobs,
            let blob = try await services.repos.blob(did: did, cid: cid), !blob.isTemporary, blob.takedownRef == nil,
            let path = try await store.filePath(did: did, cid: cid)
        else { throw notFound }

        var headers: HTTPFields = [
            .contentType: blob.mimeType.isEmpty ? "application/octet-stream" : blob.mimeType,
            .acceptRanges: "bytes",
            HTTPField.Name("x-content-type-options")!: "nosniff",
            .contentDisposition: "attachment; filename=\"\(cid.string)\"",
            .contentSecurityPolicy: Self.contentSecurityPolicy,
        ]
        let size = blob.size
        let status: HTTPResponse.Status
        let body: ResponseBody
        switch ByteRange.resolve(request.headers[.range], size: size) {
        case .unsatisfiable:
            throw XRPCError(
                Self.rangeNotSatisfiable, message: "Range not satisfiable for a blob of \(size) bytes",
                status: .rangeNotSatisfiable, headers: [.contentRange: "bytes */\(size)"])
        case .whole:
            status = .ok
            body = size == 0 ? ResponseBody() : try await files.loadFile(path: path, context: context)
            headers[.contentLength] = "\(size)"
        case .partial(let range):
            status = .partialContent
            body = try await files.loadFile(
                path: path, range: Int(range.lowerBound)...Int(range.upperBound), context: context)
            headers[.contentLength] = "\(range.count)"
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
        }
        return Response(status: status, headers: headers, body: counted(body))
    }

    static let rangeNotSatisfiable: XRPCError.Code = "RangeNotSatisfiable"

    /// `body`, adding the bytes actually written to `pds_sync_bytes_sent_total`.
    private func counted(_ body: ResponseBody) -> ResponseBody {
        let metrics = self.metrics
        return ResponseBody(contentLength: body.contentLength) { writer in
            let counting = CountingResponseBodyWriter(parent: writer)
            do {
                try await body.write(counting)
            } catch {
                metrics.bytesSent(route: Self.nsid, counting.counter.value)
                throw error
            }
            metrics.bytesSent(route: Self.nsid, counting.counter.value)
        }
    }
}
