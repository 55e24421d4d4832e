import Hummingbird

/// gzip response compression, streamed chunk by chunk through zlib.
///
/// Applies when the client accepts gzip, the body is JSON, CAR or text, and the body is at least
/// `minimumBytes` long (or of unknown length: streamed). Never for HEAD, upgrades (WebSocket),
/// bodiless statuses, `Cache-Control: no-transform`, bodies that already have a `Content-Encoding`, or
/// range-capable responses (`Accept-Ranges`, `Content-Range`). Adds `Content-Encoding: gzip` and `Vary: Accept-Encoding`.
struct GzipMiddleware: RouterMiddleware {
    typealias Context = PDSRequestContext

    let minimumBytes: Int
    let level: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard shouldCompress(request: request, response: response) else { return response }
        let body = response.body
        let level = self.level
        response.headers[.contentEncoding] = "gzip"
        response.headers[values: .vary].append("Accept-Encoding")
        response.headers[.contentLength] = nil
        response.body = ResponseBody { writer in
            let compressor = try GzipCompressor(level: level)
            try await body.write(GzipResponseBodyWriter(parent: writer, compressor: compressor))
        }
        return response
    }

    func shouldCompress(request: Request, response: Response) -> Bool {
        if let length = response.body.contentLength, length < minimumBytes { return false }
        guard request.method != .head,
            response.status.code >= 200, response.status != .noContent, response.status != .notModified,
            let contentType = response.headers[.contentType],
            ContentCoding.isCompressible(contentType: contentType),
            !response.headers.contains(.contentEncoding),
            // Byte ranges (getBlob) address the identity representation.
            !response.headers.contains(.acceptRanges), !response.headers.contains(.contentRange),
            !request.headers.contains(.upgrade)
        else { return false }
        if let cacheControl = response.headers[.cacheControl], cacheControl.lowercased().contains("no-transform") {
            return false
        }
        let accept = request.headers[values: .acceptEncoding]
        guard !accept.isEmpty else { return false }
        return ContentCoding.acceptsGzip(accept.joined(separator: ","))
    }
}
