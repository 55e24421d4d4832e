#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads `process_*` values from `/proc` (Linux only; `nil` elsewhere or when /proc is unreadable).
public enum ProcessMetrics {
    public static func sample() -> ProcessMetricsSample? {
        #if os(Linux)
        guard let stat = readSmallFile("/proc/self/stat"),
            let fields = parseStat(stat),
            let bootTime = readSmallFile("/proc/stat").flatMap(parseBootTime)
        else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        guard ticks > 0, pageSize > 0 else { return nil }
        var limit = rlimit()
        let maxFDs: Double = getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 ? Double(limit.rlim_cur) : 0
        return ProcessMetricsSample(
            cpuSeconds: (fields.utime + fields.stime) / ticks,
            residentMemoryBytes: fields.rssPages * pageSize,
            virtualMemoryBytes: fields.vsize,
            openFDs: Double(countOpenFDs() ?? 0),
            maxFDs: maxFDs,
            startTimeSeconds: bootTime + fields.startTicks / ticks,
            threads: fields.threads
        )
        #else
        return nil
        #endif
    }

    // MARK: Parsing (internal for tests)

    struct StatFields: Equatable {
        var utime: Double
        var stime: Double
        var threads: Double
        var startTicks: Double
        var vsize: Double
        var rssPages: Double
    }

    /// Parses `/proc/<pid>/stat`. The command name (field 2) may contain spaces and parentheses,
    /// so fields are counted from the last `)`.
    static func parseStat(_ text: String) -> StatFields? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // rest[0] is field 3 (state); field n is rest[n - 3].
        func field(_ n: Int) -> Double? {
            let index = n - 3
            guard index >= 0, index < rest.count else { return nil }
            return Double(rest[index].trimmingNewline())
        }
        guard let utime = field(14), let stime = field(15), let threads = field(20),
            let start = field(22), let vsize = field(23), let rss = field(24)
        else { return nil }
        return StatFields(utime: utime, stime: stime, threads: threads, startTicks: start, vsize: vsize, rssPages: rss)
    }

    /// The `btime` line of `/proc/stat`: boot time in seconds since the epoch.
    static func parseBootTime(_ text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst("btime ".count).trimmingNewline())
        }
        return nil
    }

    #if os(Linux)
    private static let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(UInt32(RLIMIT_NOFILE.rawValue))

    private static func countOpenFDs() -> Int? {
        guard let dir = opendir("/proc/self/fd") else { return nil }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                raw[0] == UInt8(ascii: ".") && (raw[1] == 0 || (raw[1] == UInt8(ascii: ".") && raw[2] == 0))
            }
            if !isDot { count += 1 }
        }
        // One entry is the descriptor opendir itself holds.
        return max(0, count - 1)
    }
    #endif

    /// Reads a small text file from /proc (whose stat size is 0, so read until EOF).
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Substring {
    fileprivate func trimmingNewline() -> Substring {
        var s = self
        while let last = s.last, last == "\n" || last == " " { s = s.dropLast() }
        return s
    }
}
