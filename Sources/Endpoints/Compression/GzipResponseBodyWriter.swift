import Hummingbird
import NIOCore

/// Compresses each body chunk on its way to the parent writer.
struct GzipResponseBodyWriter: ResponseBodyWriter {
    var parent: any ResponseBodyWriter
    let compressor: GzipCompressor

    mutating func write(_ buffer: ByteBuffer) async throws {
        let compressed = try compressor.compress(buffer)
        if compressed.readableBytes > 0 {
            try await parent.write(compressed)
        }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        let tail = try compressor.finish()
        if tail.readableBytes > 0 {
            try await parent.write(tail)
        }
        try await parent.finish(trailingHeaders)
    }
}
