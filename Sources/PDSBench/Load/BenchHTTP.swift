import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Minimal blocking HTTP/1.1 over TCP for the load benchmark: one keep-alive connection per client thread, so the
/// load generator costs as little CPU as possible next to the server it measures on the same machine.
struct BenchError: Error, CustomStringConvertible, Sendable {
    let description: String
    init(_ description: String) { self.description = description }
}

struct HTTPReply: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw BenchError("HTTP \(status): not a JSON object: \(text.prefix(200))")
        }
        return object
    }
}

/// Where the server is: `http://host:port` (IPv4 address or `localhost`).
struct ServerAddress: Sendable {
    let host: String
    let port: UInt16

    init(url: String) throws {
        guard url.hasPrefix("http://") else { throw BenchError("--url must be http://host:port, got \(url)") }
        let rest = url.dropFirst("http://".count).split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        let parts = rest.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw BenchError("--url must be http://host:port, got \(url)") }
        host = parts[0] == "localhost" ? "127.0.0.1" : String(parts[0])
        self.port = port
    }

    var hostHeader: String { "\(host):\(port)" }
}

/// One keep-alive client connection; reconnects when the server closed it.
final class HTTPConnection: @unchecked Sendable {
    let address: ServerAddress
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []
    private var readStart = 0

    init(_ address: ServerAddress) {
        self.address = address
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    private func connectIfNeeded() throws {
        guard fd < 0 else { return }
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw BenchError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = address.port.bigEndian
        guard inet_pton(AF_INET, address.host, &addr.sin_addr) == 1 else {
            close(socket)
            throw BenchError("not an IPv4 address: \(address.host)")
        }
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(socket)
            throw BenchError("connect to \(address.hostHeader): errno \(errno)")
        }
        fd = socket
        buffer.removeAll(keepingCapacity: true)
        readStart = 0
    }

    private func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    /// Sends one request and reads its reply; retries once on a fresh connection if the kept-alive one was closed.
    func exchange(_ request: [UInt8]) throws -> HTTPReply {
        let reused = fd >= 0
        do {
            try connectIfNeeded()
            try send(request)
            return try readReply()
        } catch {
            disconnect()
            guard reused else { throw error }
            try connectIfNeeded()
            try send(request)
            return try readReply()
        }
    }

    private func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw BenchError("send: errno \(errno)")
                }
                offset += n
            }
        }
    }

    /// Reads more bytes into the buffer; throws at end of stream.
    private func fill() throws {
        if readStart > 0 && readStart == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readStart = 0
        }
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: 16_384))
        let n = buffer.withUnsafeMutableBytes { raw in recv(fd, raw.baseAddress! + old, 16_384, 0) }
        buffer.removeSubrange((old + max(n, 0))...)
        if n < 0 { throw BenchError("recv: errno \(errno)") }
        if n == 0 { throw BenchError("connection closed by the server") }
    }

    private func take(_ count: Int) throws -> [UInt8] {
        while buffer.count - readStart < count { try fill() }
        let bytes = Array(buffer[readStart..<(readStart + count)])
        readStart += count
        return bytes
    }

    private func line() throws -> String {
        while true {
            if let end = buffer[readStart...].firstIndex(of: UInt8(ascii: "\n")) {
                var stop = end
                if stop > readStart && buffer[stop - 1] == UInt8(ascii: "\r") { stop -= 1 }
                let text = String(decoding: buffer[readStart..<stop], as: UTF8.self)
                readStart = end + 1
                return text
            }
            try fill()
        }
    }

    private func readReply() throws -> HTTPReply {
        let statusLine = try line()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw BenchError("bad status line: \(statusLine)")
        }
        var headers: [(String, String)] = []
        var contentLength: Int?
        var chunked = false
        var close = false
        while true {
            let header = try line()
            if header.isEmpty { break }
            guard let colon = header.firstIndex(of: ":") else { continue }
            let name = header[..<colon].lowercased()
            let value = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append((name, value))
            switch name {
            case "content-length": contentLength = Int(value)
            case "transfer-encoding": chunked = value.lowercased().contains("chunked")
            case "connection": close = value.lowercased() == "close"
            default: break
            }
        }
        var body: [UInt8] = []
        if chunked {
            while true {
                let sizeLine = try line()
                guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else {
                    throw BenchError("bad chunk size: \(sizeLine)")
                }
                if size == 0 {
                    while try !line().isEmpty {}
                    break
                }
                body += try take(size)
                _ = try line()
            }
        } else if let contentLength {
            body = try take(contentLength)
        }
        if close { disconnect() }
        return HTTPReply(status: status, headers: headers, body: body)
    }
}

/// Builds request bytes.
enum HTTPRequestBytes {
    static func make(
        method: String, path: String, host: String, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body {
            head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + (body ?? [])
    }
}
