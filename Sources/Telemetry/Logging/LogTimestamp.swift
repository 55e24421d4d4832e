#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RFC 3339 UTC timestamps with milliseconds, e.g. `2026-11-25T10:55:46.123Z`, without Foundation.
enum LogTimestamp {
    /// Appends the current time as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    static func appendNow(to out: inout [UInt8]) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        append(seconds: Int(spec.tv_sec), milliseconds: Int(spec.tv_nsec) / 1_000_000, to: &out)
    }

    static func append(seconds: Int, milliseconds: Int, to out: inout [UInt8]) {
        appendPrefix(seconds: seconds, to: &out)
        appendMilliseconds(milliseconds, to: &out)
    }

    /// `YYYY-MM-DDTHH:MM:SS.`: the part that changes once a second.
    static func appendPrefix(seconds: Int, to out: inout [UInt8]) {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        LineEncoder.appendPadded(Int(parts.tm_year) + 1900, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        LineEncoder.appendPadded(Int(parts.tm_mon) + 1, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        LineEncoder.appendPadded(Int(parts.tm_mday), width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        LineEncoder.appendPadded(Int(parts.tm_hour), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        LineEncoder.appendPadded(Int(parts.tm_min), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        LineEncoder.appendPadded(Int(parts.tm_sec), width: 2, to: &out)
        out.append(UInt8(ascii: "."))
    }

    /// `mmmZ`.
    static func appendMilliseconds(_ milliseconds: Int, to out: inout [UInt8]) {
        LineEncoder.appendPadded(milliseconds, width: 3, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return format(seconds: Int(spec.tv_sec), milliseconds: Int(spec.tv_nsec) / 1_000_000)
    }

    static func format(seconds: Int, milliseconds: Int) -> String {
        var out: [UInt8] = []
        append(seconds: seconds, milliseconds: milliseconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Current-time timestamps that reuse the formatted `YYYY-MM-DDTHH:MM:SS.` while the second lasts, so a
/// line costs a `clock_gettime` and three digits instead of a calendar conversion.
struct TimestampCache {
    private var second = Int.min
    private var prefix: [UInt8] = []

    mutating func appendNow(to out: inout [UInt8]) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        append(seconds: Int(spec.tv_sec), milliseconds: Int(spec.tv_nsec) / 1_000_000, to: &out)
    }

    mutating func append(seconds: Int, milliseconds: Int, to out: inout [UInt8]) {
        if seconds != second {
            prefix.removeAll(keepingCapacity: true)
            LogTimestamp.appendPrefix(seconds: seconds, to: &prefix)
            second = seconds
        }
        out.append(contentsOf: prefix)
        LogTimestamp.appendMilliseconds(milliseconds, to: &out)
    }
}

/// A line being rendered: its bytes and the timestamp cache of the buffer it is rendered into.
struct LineBuffer {
    var bytes: [UInt8] = []
    var clock = TimestampCache()
}
