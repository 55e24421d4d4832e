import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A bound unix datagram socket standing in for systemd's notify socket.
final class DatagramReceiver: @unchecked Sendable {  // fd and path never change
    let path: String
    private let fd: Int32

    /// Binds a fresh socket in the temp directory (or in the abstract namespace when `abstract`).
    init(abstract: Bool = false) throws {
        let name = "h1-notify-\(UInt32.random(in: 0...UInt32.max))"
        path = abstract ? "@\(name)" : NSTemporaryDirectory() + name + ".sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ReceiverError.system("socket", errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count + (abstract ? 0 : 1))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard result == 0 else { throw ReceiverError.system("bind", errno) }
    }

    deinit {
        close(fd)
        if !path.hasPrefix("@") { unlink(path) }
    }

    /// The next datagram, or nil after `timeout`.
    func receive(timeout: Duration = .seconds(2)) -> String? {
        var pollDescriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&pollDescriptor, 1, milliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Every datagram that arrives within `window`.
    func receiveAll(for window: Duration) -> [String] {
        let deadline = ContinuousClock.now + window
        var messages: [String] = []
        while ContinuousClock.now < deadline {
            if let message = receive(timeout: deadline - ContinuousClock.now) { messages.append(message) }
        }
        return messages
    }

    /// ``receiveAll(for:)`` on a dispatch thread, so async tests do not block the cooperative pool
    /// (which would starve the service under test on a small machine).
    func collect(for window: Duration) async -> [String] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.receiveAll(for: window)) }
        }
    }

    /// ``receive(timeout:)`` on a dispatch thread.
    func next(timeout: Duration = .seconds(2)) async -> String? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.receive(timeout: timeout)) }
        }
    }

    enum ReceiverError: Error {
        case system(String, Int32)
    }
}
