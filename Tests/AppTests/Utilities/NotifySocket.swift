import Foundation

/// A bound unix datagram socket standing in for systemd's `NOTIFY_SOCKET`.
final class NotifySocket: @unchecked Sendable {
    // The fd is only read from the owning test.
    let path: String
    private let fd: Int32
    private(set) var messages: [String] = []

    init(directory: URL) throws {
        path = directory.appendingPathComponent("notify.sock").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw TestFailure("socket path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw TestFailure("bind \(path): errno \(errno)") }
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Reads every datagram that arrives within `duration` (at least one poll).
    func drain(for duration: Duration = .milliseconds(100)) {
        let deadline = ContinuousClock.now + duration
        var buffer = [UInt8](repeating: 0, count: 4096)
        repeat {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                messages.append(String(decoding: buffer[0..<n], as: UTF8.self))
            }
        } while ContinuousClock.now < deadline
    }

    /// Waits until a message containing `line` (one `KEY=value` line) arrives.
    func waitFor(_ line: String, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if contains(line) { return true }
            drain(for: .milliseconds(100))
        }
        return contains(line)
    }

    func contains(_ line: String) -> Bool {
        messages.contains { $0.split(separator: "\n").contains(Substring(line)) }
    }

    func count(_ line: String) -> Int {
        messages.reduce(0) { $0 + $1.split(separator: "\n").filter { $0 == Substring(line) }.count }
    }
}
