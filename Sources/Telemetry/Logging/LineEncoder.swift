/// Byte-level encoders for log lines: logfmt values, JSON strings and timestamps, written straight
/// into a `[UInt8]` buffer (a log line per request is on the hot path).
enum LineEncoder {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    // MARK: logfmt

    static func appendLogfmtKey(_ key: String, to out: inout [UInt8]) {
        var wrote = false
        for byte in key.utf8 {
            out.append(byte > 0x20 && byte != UInt8(ascii: "=") && byte != UInt8(ascii: "\"") && byte != 0x7F ? byte : UInt8(ascii: "_"))
            wrote = true
        }
        if !wrote { out.append(UInt8(ascii: "_")) }
    }

    static func appendLogfmtValue(_ value: String, to out: inout [UInt8]) {
        let utf8 = value.utf8
        guard logfmtNeedsQuotes(utf8) else {
            out.append(contentsOf: utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        appendLogfmtEscaped(utf8, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// Whether a logfmt value must be quoted: empty, or containing a space, control character, `=`, `"` or a backslash.
    static func logfmtNeedsQuotes(_ utf8: String.UTF8View) -> Bool {
        utf8.isEmpty || utf8.contains { byte in
            byte <= 0x20 || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F
        }
    }

    /// The inside of a quoted logfmt value (without the quotes).
    static func appendLogfmtEscaped(_ utf8: String.UTF8View, to out: inout [UInt8]) {
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                out.append(contentsOf: Array("\\u{".utf8))
                if byte >= 0x10 { out.append(hexDigits[Int(byte >> 4)]) }
                out.append(hexDigits[Int(byte & 0xF)])
                out.append(UInt8(ascii: "}"))
            default:
                out.append(byte)
            }
        }
    }

    // MARK: JSON

    static func appendJSONString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        appendJSONEscaped(value, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// The inside of a JSON string (without the quotes).
    static func appendJSONEscaped(_ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { appendJSONEscaped(bytes: $0, to: &out) }
    }

    private static func appendJSONEscaped(bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                appendUnicodeEscape(UInt16(byte), to: &out)
            case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80
                && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                // U+2028 and U+2029 are valid JSON but break JavaScript line handling.
                appendUnicodeEscape(bytes[index + 2] == 0xA8 ? 0x2028 : 0x2029, to: &out)
                index += 2
            default:
                out.append(byte)
            }
            index += 1
        }
    }

    private static func appendUnicodeEscape(_ code: UInt16, to out: inout [UInt8]) {
        out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hexDigits[Int((code >> UInt16(shift)) & 0xF)])
        }
    }

    // MARK: Numbers

    /// Appends a non-negative integer in decimal, left-padded with zeros to `width` digits.
    static func appendPadded(_ value: Int, width: Int, to out: inout [UInt8]) {
        let value = max(0, value)
        var digitCount = 1
        var probe = value / 10
        while probe > 0 {
            digitCount += 1
            probe /= 10
        }
        let total = max(width, digitCount)
        let start = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: total))
        var remaining = value
        var index = start + total - 1
        repeat {
            out[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
            index -= 1
        } while remaining > 0
    }
}
