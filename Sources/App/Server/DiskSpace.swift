#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Free space on the file system holding a path.
enum DiskSpace {
    /// Bytes available to unprivileged users on the file system of `path`, or nil when it cannot be read.
    static func availableBytes(path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}
