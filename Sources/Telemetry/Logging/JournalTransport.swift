import CSystemd
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Delivers journald entries: through libsystemd's `sd_journal_sendv` to the default journal, or
/// with the native protocol to an explicit socket (e.g. `/run/systemd/journal.NS/socket` in tests).
final class JournalTransport: Sendable {
    private let socketPath: String?
    private let socket: UnixDatagramSocket?

    private static let shared = Mutex<[String: JournalTransport]>([:])
    private static let libsystemd = JournalTransport(socketPath: nil)

    /// One transport (one descriptor) per socket path for the whole process.
    static func forSocket(_ path: String?) -> JournalTransport {
        guard let path else { return libsystemd }
        return shared.withLock { transports in
            if let existing = transports[path] { return existing }
            let transport = JournalTransport(socketPath: path)
            transports[path] = transport
            return transport
        }
    }

    private init(socketPath: String?) {
        self.socketPath = socketPath
        self.socket = socketPath == nil ? nil : UnixDatagramSocket()
    }

    /// Sends one entry. Returns 0 on success, else an errno value.
    func send(_ fields: [(name: String, value: String)]) -> Int32 {
        guard let socketPath else { return Self.sendWithLibsystemd(fields) }
        guard let socket else { return EBADF }
        let datagram = JournalFields.encodeNative(fields)
        let result = socket.send(datagram, to: socketPath)
        if result == EMSGSIZE || result == ENOBUFS {
            return JournalMemfd.send(datagram, over: socket, to: socketPath)
        }
        return result
    }

    private static func sendWithLibsystemd(_ fields: [(name: String, value: String)]) -> Int32 {
        // One contiguous buffer of "KEY=value" strings; iovecs point into it.
        var buffer: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = buffer.count
            buffer.append(contentsOf: field.name.utf8)
            buffer.append(UInt8(ascii: "="))
            buffer.append(contentsOf: field.value.utf8)
            ranges.append(start..<buffer.count)
        }
        let result: Int32 = buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return 0 }
            let vectors = ranges.map { iovec(iov_base: base + $0.lowerBound, iov_len: $0.count) }
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
        return result < 0 ? -result : 0
    }
}
