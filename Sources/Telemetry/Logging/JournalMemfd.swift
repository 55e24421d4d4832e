#if canImport(Glibc)
import Glibc

/// journald's path for entries too large for one datagram (about 200 KB): the payload goes into a
/// sealed memfd whose descriptor is sent with `SCM_RIGHTS` and no data, as libsystemd does.
enum JournalMemfd {
    private typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>?, UInt32) -> Int32

    // Linux ABI constants (not exported by the Glibc module without _GNU_SOURCE).
    private static let mfdCloexec: UInt32 = 0x1
    private static let mfdAllowSealing: UInt32 = 0x2
    private static let fAddSeals: Int32 = 1033
    private static let sealAll: Int32 = 0x1 | 0x2 | 0x4 | 0x8  // SEAL, SHRINK, GROW, WRITE

    /// Returns 0 on success, else an errno value.
    static func send(_ payload: [UInt8], over socket: UnixDatagramSocket, to path: String) -> Int32 {
        guard let symbol = dlsym(nil, "memfd_create") else { return ENOSYS }
        let memfdCreate = unsafeBitCast(symbol, to: MemfdCreate.self)
        let fd = memfdCreate("journal-entry", mfdCloexec | mfdAllowSealing)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let written = payload.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                let n = write(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        guard written else { return errno }
        guard fcntl(fd, fAddSeals, sealAll) >= 0 else { return errno }
        return sendDescriptor(fd, over: socket, to: path)
    }

    private static func sendDescriptor(_ descriptor: Int32, over socket: UnixDatagramSocket, to path: String) -> Int32 {
        guard let (initialAddress, addressLength) = UnixDatagramSocket.address(path) else { return ENAMETOOLONG }
        var address = initialAddress
        let headerSize = MemoryLayout<cmsghdr>.size
        let alignment = MemoryLayout<Int>.size
        let dataSize = MemoryLayout<Int32>.size
        let space = headerSize + (dataSize + alignment - 1) / alignment * alignment
        var control = [UInt8](repeating: 0, count: space)
        control.withUnsafeMutableBytes { raw in
            var header = cmsghdr()
            header.cmsg_len = .init(headerSize + dataSize)
            header.cmsg_level = SOL_SOCKET
            header.cmsg_type = Int32(SCM_RIGHTS)
            raw.storeBytes(of: header, toByteOffset: 0, as: cmsghdr.self)
            raw.storeBytes(of: descriptor, toByteOffset: headerSize, as: Int32.self)
        }
        let sent = control.withUnsafeMutableBytes { controlRaw in
            withUnsafeMutablePointer(to: &address) { addressPointer in
                var message = msghdr()
                message.msg_name = UnsafeMutableRawPointer(addressPointer)
                message.msg_namelen = addressLength
                message.msg_control = controlRaw.baseAddress
                message.msg_controllen = .init(controlRaw.count)
                return sendmsg(socket.fd, &message, Int32(MSG_NOSIGNAL))
            }
        }
        return sent < 0 ? errno : 0
    }
}
#endif
