#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where line handlers write: stderr by default (through a ``LogWriter``), a closure in tests.
public struct LogSink: Sendable {
    public let write: @Sendable ([UInt8]) -> Void
    /// When set, lines are rendered straight into its buffer.
    let writer: LogWriter?

    public init(write: @escaping @Sendable ([UInt8]) -> Void) {
        self.write = write
        self.writer = nil
    }

    /// Lines go to `writer`'s buffer; its thread writes them in batches.
    public init(writer: LogWriter) {
        self.write = { bytes in writer.append(bytes) }
        self.writer = writer
    }

    /// stderr, written by ``LogWriter/standardError``'s thread in batches; flushed at exit.
    public static let standardError = LogSink(writer: .standardError)

    /// stderr with one synchronous `write(2)` per line.
    public static let standardErrorUnbuffered = LogSink { bytes in
        LogSink.writeAll(fd: 2, bytes)
    }

    /// Renders one line: into the writer's buffer, or into a fresh buffer handed to ``write``.
    func render(_ body: (inout LineBuffer) -> Void) {
        if let writer {
            writer.append(body)
        } else {
            var line = LineBuffer()
            body(&line)
            write(line.bytes)
        }
    }

    /// Waits until the lines written so far reached the descriptor (no-op for closure sinks).
    public func flush() {
        writer?.flush()
    }

    /// Writes all of `bytes`, retrying after `EINTR` and partial writes; gives up on other errors.
    static func writeAll(fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let n = systemWrite(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
