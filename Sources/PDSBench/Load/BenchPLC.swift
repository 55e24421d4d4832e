import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `pds-bench plc`: a did:plc directory for benchmarks that accepts every operation (`POST /<did>` answers 200)
/// and knows no document (`GET` answers 404). Point the server's `PDS_DID_PLC_URL` at it so that
/// `createAccount` works without touching a real directory. It checks nothing: never use it outside a benchmark.
enum BenchPLC {
    /// Listens on 127.0.0.1:`port` (0: any free port), prints `plc directory listening on http://127.0.0.1:<port>`
    /// and serves until the process is killed. Connections are kept alive, one thread each.
    static func serve(port: UInt16) throws -> Never {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw BenchError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw BenchError("bind/listen on port \(port): errno \(errno)") }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        FileHandle.standardOutput.write(Data("plc directory listening on http://127.0.0.1:\(UInt16(bigEndian: actual.sin_port))\n".utf8))
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 { continue }
            Thread.detachNewThread { handle(connection) }
        }
    }

    private static func handle(_ fd: Int32) {
        defer { close(fd) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            // Head, then the Content-Length body.
            var headEnd: Int?
            while headEnd == nil {
                if let range = find(Array("\r\n\r\n".utf8), in: buffer) {
                    headEnd = range
                    break
                }
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
                if n <= 0 { return }
                buffer += chunk[0..<n]
            }
            let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
            let bodyStart = headEnd! + 4
            var contentLength = 0
            for line in head.split(separator: "\r\n").dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == "content-length" {
                    contentLength = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            while buffer.count < bodyStart + contentLength {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
                if n <= 0 { return }
                buffer += chunk[0..<n]
            }
            buffer.removeSubrange(0..<(bodyStart + contentLength))
            let reply: String
            if head.hasPrefix("POST ") {
                reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
            } else {
                let body = #"{"message":"DID not registered (benchmark directory)"}"#
                reply = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            }
            let bytes = Array(reply.utf8)
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent != bytes.count { return }
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}
