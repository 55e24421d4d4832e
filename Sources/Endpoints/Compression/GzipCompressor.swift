import CZlib
import NIOCore

/// A zlib deflate stream producing the gzip format (window bits 31), fed chunk by chunk.
///
/// Not thread safe: one compressor belongs to one response body writer.
final class GzipCompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private var finished = false

    /// - Parameter level: 1 (fast) to 9 (small); out-of-range values are clamped.
    init(level: Int) throws(GzipError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let clamped = Int32(min(max(level, 1), 9))
        let rc = deflateInit2_(
            stream, clamped, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)
        )
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw GzipError(operation: "deflateInit2", code: rc)
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses `input`; returns what zlib produced so far (possibly nothing).
    func compress(_ input: ByteBuffer) throws(GzipError) -> ByteBuffer {
        try run(input, flush: Z_NO_FLUSH)
    }

    /// Ends the stream; returns the remaining compressed bytes and the gzip trailer.
    func finish() throws(GzipError) -> ByteBuffer {
        guard !finished else { return ByteBuffer() }
        finished = true
        return try run(ByteBuffer(), flush: Z_FINISH)
    }

    private func run(_ input: ByteBuffer, flush: Int32) throws(GzipError) -> ByteBuffer {
        var output = ByteBuffer()
        let chunk = max(1024, min(input.readableBytes / 2 + 64, 64 * 1024))
        var failure: Int32?
        input.withUnsafeReadableBytes { inputBytes in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inputBytes.bindMemory(to: Bytef.self).baseAddress)
            stream.pointee.avail_in = uInt(inputBytes.count)
            while true {
                var rc: Int32 = Z_OK
                var outputFull = false
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: chunk) { outputBytes in
                    let available = outputBytes.count
                    stream.pointee.next_out = outputBytes.bindMemory(to: Bytef.self).baseAddress
                    stream.pointee.avail_out = uInt(available)
                    rc = deflate(stream, flush)
                    let written = available - Int(stream.pointee.avail_out)
                    outputFull = stream.pointee.avail_out == 0
                    return written
                }
                if rc == Z_STREAM_END { break }
                if rc != Z_OK && rc != Z_BUF_ERROR {
                    failure = rc
                    break
                }
                // With Z_NO_FLUSH zlib is done once it consumed all input and had output space left.
                if flush == Z_NO_FLUSH && stream.pointee.avail_in == 0 && !outputFull { break }
                if rc == Z_BUF_ERROR && !outputFull { break }
            }
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
            stream.pointee.next_out = nil
            stream.pointee.avail_out = 0
        }
        if let failure { throw GzipError(operation: "deflate", code: failure) }
        return output
    }
}

/// zlib failed; `code` is zlib's return value.
struct GzipError: Error, CustomStringConvertible {
    let operation: String
    let code: Int32
    var description: String { "zlib \(operation) failed with code \(code)" }
}
