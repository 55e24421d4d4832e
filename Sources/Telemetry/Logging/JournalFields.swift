import Logging

/// Maps a swift-log event to journald fields and encodes them in the native protocol.
///
/// Standard fields: `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, `CODE_FILE`, `CODE_LINE`, `CODE_FUNC`,
/// `LOGGER` (the logger label), `ERROR` (when the event carries an error). Metadata keys become
/// upper-case fields (`request_id` → `REQUEST_ID`); a key that would collide with a standard field
/// gets a `PDS_` prefix. Secret metadata is redacted before mapping.
public enum JournalFields {
    /// Fields this handler sets itself; metadata cannot overwrite them.
    static let reserved: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "LOGGER", "ERROR",
    ]

    /// syslog priority for a swift-log level (7 debug … 2 critical).
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// The journald field name for a metadata key: ASCII upper case, digits and `_`, not starting
    /// with `_` or a digit, at most 64 characters. `nil` when nothing usable remains.
    public static func fieldName(forMetadataKey key: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(key.utf8.count + 4)
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): bytes.append(byte - 0x20)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): bytes.append(byte)
            case 0x80...0xBF: continue  // UTF-8 continuation byte: one "_" per character
            default:
                // Leading underscores are dropped (journald reserves them for trusted fields).
                if !bytes.isEmpty { bytes.append(UInt8(ascii: "_")) }
            }
        }
        guard let first = bytes.first else { return nil }
        if first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") { bytes.insert(contentsOf: Array("F_".utf8), at: 0) }
        var name = String(decoding: bytes.prefix(64), as: UTF8.self)
        if reserved.contains(name) { name = String(("PDS_" + name).prefix(64)) }
        return name
    }

    /// All fields of one entry, in order.
    public static func fields(
        level: Logger.Level,
        message: String,
        metadata: Logger.Metadata,
        label: String,
        identifier: String,
        file: String,
        function: String,
        line: UInt,
        error: String? = nil
    ) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            ("MESSAGE", message),
            ("PRIORITY", String(priority(level))),
            ("SYSLOG_IDENTIFIER", identifier),
            ("CODE_FILE", file),
            ("CODE_LINE", String(line)),
            ("CODE_FUNC", function),
            ("LOGGER", label),
        ]
        if let error { fields.append(("ERROR", error)) }
        let redacted = LogRedaction.redact(metadata)
        for key in redacted.keys.sorted() {
            guard let value = redacted[key], let name = fieldName(forMetadataKey: key) else { continue }
            fields.append((name, LogValue(value).flatText))
        }
        return fields
    }

    /// The native protocol datagram: `KEY=value\n`, or for values containing a newline
    /// `KEY\n<64-bit little-endian length><value>\n`.
    public static func encodeNative(_ fields: [(name: String, value: String)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 10 })
        for field in fields {
            out.append(contentsOf: field.name.utf8)
            if field.value.utf8.contains(UInt8(ascii: "\n")) {
                out.append(UInt8(ascii: "\n"))
                var length = UInt64(field.value.utf8.count).littleEndian
                withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
                out.append(contentsOf: field.value.utf8)
            } else {
                out.append(UInt8(ascii: "="))
                out.append(contentsOf: field.value.utf8)
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// Decodes the native protocol (used by tests to check ``encodeNative(_:)``).
    static func decodeNative(_ bytes: [UInt8]) -> [(name: String, value: String)]? {
        var fields: [(name: String, value: String)] = []
        var index = 0
        while index < bytes.count {
            guard let end = bytes[index...].firstIndex(where: { $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "\n") })
            else { return nil }
            let name = String(decoding: bytes[index..<end], as: UTF8.self)
            if bytes[end] == UInt8(ascii: "=") {
                guard let newline = bytes[(end + 1)...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
                fields.append((name, String(decoding: bytes[(end + 1)..<newline], as: UTF8.self)))
                index = newline + 1
            } else {
                guard end + 9 <= bytes.count else { return nil }
                var length: UInt64 = 0
                for (shift, byte) in bytes[(end + 1)..<(end + 9)].enumerated() {
                    length |= UInt64(byte) << (8 * UInt64(shift))
                }
                let start = end + 9
                guard length <= UInt64(bytes.count - start), start + Int(length) < bytes.count,
                    bytes[start + Int(length)] == UInt8(ascii: "\n")
                else { return nil }
                fields.append((name, String(decoding: bytes[start..<(start + Int(length))], as: UTF8.self)))
                index = start + Int(length) + 1
            }
        }
        return fields
    }
}
