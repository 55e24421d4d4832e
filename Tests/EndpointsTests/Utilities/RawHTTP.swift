import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client over a POSIX socket, for requests HummingbirdTesting cannot send
/// (a chunked body without Content-Length).
enum RawHTTP {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: String
    }

    /// ``exchange(port:request:)`` on a thread of its own: the socket calls block, and blocking the cooperative pool,
    /// which also runs the in-process server's handlers, can stall both (two threads on a 2-core machine).
    static func exchangeOffPool(port: Int, request: [UInt8]) async throws -> Reply {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try exchange(port: port, request: request) })
            }
            thread.start()
        }
    }

    static func exchange(port: Int, request: [UInt8]) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(description: "connect failed: \(errno)") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var offset = 0
        while offset < request.count {
            let sent = request[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { break }  // the server may answer and stop reading early
            offset += sent
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received.append(contentsOf: buffer[0..<count])
            if let reply = parse(received) { return reply }
        }
        guard let reply = parse(received, complete: true) else {
            throw Failure(description: "no HTTP response (\(received.count) bytes)")
        }
        return reply
    }

    /// A reply once the head and a Content-Length body are complete.
    static func parse(_ bytes: [UInt8], complete: Bool = false) -> Reply? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<headEnd.lowerBound].components(separatedBy: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1.1 ") else { return nil }
        let status = Int(statusLine.dropFirst(9).prefix(3)) ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = String(text[headEnd.upperBound...])
        if let length = headers["content-length"].flatMap(Int.init) {
            guard body.utf8.count >= length else { return complete ? Reply(status: status, headers: headers, body: body) : nil }
        } else if !complete {
            return nil
        }
        return Reply(status: status, headers: headers, body: body)
    }
}
