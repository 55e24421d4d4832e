import Foundation

/// A minimal blocking HTTP/1.1 client over a TCP socket to 127.0.0.1, enough for the live tests
/// (one request per connection, `Connection: close`, no TLS, no chunked request bodies).
enum HTTPClient {
    struct Response {
        var status: Int
        var headers: [String: String]  // lower-cased names
        var body: String
    }

    static func get(port: Int, path: String, headers: [String: String] = [:], timeout: TimeInterval = 10) throws
        -> Response
    {
        try request("GET", port: port, path: path, headers: headers, timeout: timeout)
    }

    /// One request with an optional body (sent with its `Content-Length`).
    static func request(
        _ method: String, port: Int, path: String, headers: [String: String] = [:], body: [UInt8] = [],
        timeout: TimeInterval = 10
    ) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("connect to port \(port): errno \(errno)") }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: localhost:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        if method != "GET" { request += "Content-Length: \(body.count)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8) + body
        guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw TestFailure("send failed") }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 { throw TestFailure("recv failed: errno \(errno)") }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        return try parse(data)
    }

    static func parse(_ data: [UInt8]) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let split = data.indices.first(where: { data[$0...].starts(with: separator) }) else {
            throw TestFailure("malformed HTTP response")
        }
        let head = String(decoding: data[..<split], as: UTF8.self)
        var body = Array(data[(split + 4)...])
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestFailure("bad status line") }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            body = try dechunk(body)
        }
        return Response(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    static func dechunk(_ data: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < data.count {
            guard let lineEnd = (index..<data.count - 1).first(where: { data[$0] == 13 && data[$0 + 1] == 10 }) else {
                throw TestFailure("bad chunk")
            }
            let sizeText = String(decoding: data[index..<lineEnd], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText, radix: 16) else { throw TestFailure("bad chunk size") }
            if size == 0 { break }
            let start = lineEnd + 2
            out.append(contentsOf: data[start..<start + size])
            index = start + size + 2
        }
        return out
    }
}
