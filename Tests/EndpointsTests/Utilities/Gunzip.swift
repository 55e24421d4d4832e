import CZlib
import NIOCore

/// Test-side gzip decoder (zlib inflate with window bits 31).
enum Gunzip {
    struct Failure: Error, CustomStringConvertible {
        let code: Int32
        var description: String { "inflate failed with code \(code)" }
    }

    static func decompress(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 31, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(code: -1)
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var input = input
        var rc: Int32 = Z_OK
        try input.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = uInt(outBuffer.count)
                    rc = inflate(&stream, Z_NO_FLUSH)
                    return outBuffer.count - Int(stream.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
                if rc != Z_OK && rc != Z_STREAM_END { throw Failure(code: rc) }
            } while rc != Z_STREAM_END
        }
        return output
    }

    static func decompress(_ buffer: ByteBuffer) throws -> [UInt8] {
        try decompress(Array(buffer.readableBytesView))
    }
}
