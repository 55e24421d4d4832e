#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An unbound `AF_UNIX` datagram socket for sending to journald and to the service manager.
/// Sending is thread-safe (`sendto`/`sendmsg` on a shared descriptor).
final class UnixDatagramSocket: Sendable {
    let fd: Int32

    /// - Returns: `nil` when the socket cannot be created (errno in the system log only).
    init?() {
        #if os(Linux)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// Builds the address; a leading `@` means the Linux abstract namespace.
    static func address(_ path: String) -> (sockaddr_un, socklen_t)? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count <= (abstract ? capacity : capacity - 1) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let offset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        let length = offset + bytes.count + (abstract ? 0 : 1)
        return (address, socklen_t(length))
    }

    /// Sends one datagram. Returns 0 on success, else the errno value.
    func send(_ bytes: [UInt8], to path: String) -> Int32 {
        guard let (initialAddress, length) = Self.address(path) else { return ENAMETOOLONG }
        var address = initialAddress
        let sent = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                    sendto(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL), sockaddrPointer, length)
                }
            }
        }
        return sent < 0 ? errno : 0
    }
}
