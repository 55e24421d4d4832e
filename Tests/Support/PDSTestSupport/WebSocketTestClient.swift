import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A minimal blocking WebSocket client over a POSIX socket, for firehose tests: it can stop reading (a stalled
/// consumer), shrink its receive buffer, and answers pings. Blocking calls run on the client's own dispatch
/// queue, never on the cooperative pool.
public final class WebSocketTestClient: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// No complete message arrived within the timeout (the connection stays usable).
    public struct TimedOut: Error {}

    public enum Message: Sendable, Equatable {
        case binary([UInt8])
        case text(String)
        /// The server's close frame (code, reason), or nil code when the connection ended without one.
        case close(code: UInt16?, reason: String)
    }

    private let fd: Int32
    private let queue = DispatchQueue(label: "ws-test-client")
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private var closed = false

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        Glibc.close(fd)
    }

    /// Connects and upgrades; `receiveBufferBytes` sets SO_RCVBUF before connecting.
    public static func connect(port: Int, path: String, receiveBufferBytes: Int? = nil) async throws -> WebSocketTestClient {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try connectBlocking(port: port, path: path, receiveBufferBytes: receiveBufferBytes) })
            }
        }
    }

    private static func connectBlocking(port: Int, path: String, receiveBufferBytes: Int?) throws -> WebSocketTestClient {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        if var size = receiveBufferBytes.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw Failure(description: "connect failed: \(errno)")
        }
        let client = WebSocketTestClient(fd: fd)
        let request =
            "GET \(path) HTTP/1.1\r\nHost: localhost:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try client.sendAll(Array(request.utf8))
        let head = try client.readHead(timeout: 10)
        guard head.hasPrefix("HTTP/1.1 101") else { throw Failure(description: "upgrade refused: \(head)") }
        return client
    }

    /// The next data or close message (pings are answered, pongs skipped); throws after `timeout` seconds.
    public func next(timeout: Double = 10) async throws -> Message {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.nextBlocking(timeout: timeout) })
            }
        }
    }

    /// Sends a close frame and closes the socket.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if !self.closed {
                    try? self.sendFrame(opcode: 0x8, payload: [0x03, 0xE8])
                    shutdown(self.fd, Int32(SHUT_RDWR))
                    self.closed = true
                }
                continuation.resume()
            }
        }
    }

    // MARK: Blocking internals (on `queue`)

    /// Frames are parsed only once complete in the buffer, so a timeout never leaves a half-read frame.
    private func nextBlocking(timeout: Double) throws -> Message {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let message = try takeBuffered() { return message }
            guard try fill(deadline: deadline) else { return .close(code: nil, reason: "") }
        }
    }

    /// The next message already complete in the buffer (control frames handled on the way), or nil.
    private func takeBuffered() throws -> Message? {
        while let (fin, opcode, payload) = try takeFrame() {
            switch opcode {
            case 0x9:
                try? sendFrame(opcode: 0xA, payload: payload)  // the server may have closed already
            case 0xA:
                continue
            case 0x8:
                let code = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
                let reason = payload.count > 2 ? String(decoding: payload[2...], as: UTF8.self) : ""
                if !closed { try? sendFrame(opcode: 0x8, payload: Array(payload.prefix(2))) }
                return .close(code: code, reason: reason)
            case 0x0, 0x1, 0x2:
                if opcode != 0 { fragmentOpcode = opcode }
                fragments.append(contentsOf: payload)
                if fin {
                    defer { fragments = [] }
                    return fragmentOpcode == 0x1 ? .text(String(decoding: fragments, as: UTF8.self)) : .binary(fragments)
                }
            default:
                throw Failure(description: "unexpected opcode \(opcode)")
            }
        }
        return nil
    }

    /// One message (waiting up to `timeout`), then every further message already received, up to `limit`.
    public func nextBatch(limit: Int, timeout: Double = 10) async throws -> [Message] {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    var messages = [try self.nextBlocking(timeout: timeout)]
                    while messages.count < limit, case .binary = messages[messages.count - 1], let more = try self.takeBuffered() {
                        messages.append(more)
                    }
                    return messages
                })
            }
        }
    }

    private var fragments: [UInt8] = []
    private var fragmentOpcode: UInt8 = 0

    /// A complete frame at the start of the buffer, consumed; nil when more bytes are needed.
    private func takeFrame() throws -> (fin: Bool, opcode: UInt8, payload: [UInt8])? {
        let available = buffer.count - bufferStart
        guard available >= 2 else { return nil }
        let b0 = buffer[bufferStart]
        let b1 = buffer[bufferStart + 1]
        guard b1 & 0x80 == 0 else { throw Failure(description: "server frames must not be masked") }
        var length = Int(b1 & 0x7F)
        var headerLength = 2
        if length == 126 {
            guard available >= 4 else { return nil }
            length = Int(buffer[bufferStart + 2]) << 8 | Int(buffer[bufferStart + 3])
            headerLength = 4
        } else if length == 127 {
            guard available >= 10 else { return nil }
            length = buffer[(bufferStart + 2)..<(bufferStart + 10)].reduce(0) { $0 << 8 | Int($1) }
            headerLength = 10
        }
        guard available >= headerLength + length else { return nil }
        let payload = Array(buffer[(bufferStart + headerLength)..<(bufferStart + headerLength + length)])
        bufferStart += headerLength + length
        if bufferStart > 1 << 20 {
            buffer.removeFirst(bufferStart)
            bufferStart = 0
        }
        return (b0 & 0x80 != 0, b0 & 0x0F, payload)
    }

    private func readHead(timeout: Double) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let end = findHeadEnd() {
                let head = String(decoding: buffer[bufferStart..<end], as: UTF8.self)
                bufferStart = end + 4
                return head
            }
            guard try fill(deadline: deadline) else { throw Failure(description: "connection closed during upgrade") }
        }
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count - bufferStart >= 4 else { return nil }
        for index in bufferStart...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    /// Reads more bytes; false at end of stream.
    private func fill(deadline: Date) throws -> Bool {
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else { throw TimedOut() }
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pollFD, 1, Int32(min(remaining * 1000, 60_000)) + 1)
        if ready == 0 { throw TimedOut() }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    private func sendFrame(opcode: UInt8, payload: [UInt8]) throws {
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame.append(0x80 | 126)
            frame.append(UInt8(payload.count >> 8 & 0xFF))
            frame.append(UInt8(payload.count & 0xFF))
        }
        let mask: [UInt8] = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame.append(contentsOf: mask)
        for (index, byte) in payload.enumerated() { frame.append(byte ^ mask[index % 4]) }
        try sendAll(frame)
    }

    private func sendAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send failed: \(errno)") }
            offset += sent
        }
    }
}
