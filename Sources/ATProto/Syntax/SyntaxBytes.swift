/// Byte-level helpers shared by the syntax validators. Validators scan UTF-8 bytes directly
/// (no regular expressions, no Foundation) because handles, NSIDs, record keys and TIDs are
/// checked on every request.
enum SyntaxBytes {
    static let hyphen: UInt8 = 0x2D  // -
    static let period: UInt8 = 0x2E  // .
    static let slash: UInt8 = 0x2F  // /
    static let colon: UInt8 = 0x3A  // :
    static let percent: UInt8 = 0x25  // %
    static let underscore: UInt8 = 0x5F  // _
    static let tilde: UInt8 = 0x7E  // ~
    static let plus: UInt8 = 0x2B  // +
    static let equals: UInt8 = 0x3D  // =
    static let questionMark: UInt8 = 0x3F  // ?
    static let hash: UInt8 = 0x23  // #

    /// Runs `body` over the string's UTF-8 bytes without copying native strings.
    @inline(__always)
    static func withBytes<R>(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var string = string
        return string.withUTF8(body)
    }

    @inline(__always)
    static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }

    @inline(__always)
    static func isLowerAlpha(_ b: UInt8) -> Bool { b &- 0x61 < 26 }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    @inline(__always)
    static func isAlphanumeric(_ b: UInt8) -> Bool { isAlpha(b) || isDigit(b) }

    /// ASCII lower-casing of one byte; other bytes are returned unchanged.
    @inline(__always)
    static func lowercased(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }

    /// Whether `bytes` starts with the ASCII `prefix`.
    static func hasPrefix(_ bytes: UnsafeBufferPointer<UInt8>, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        let p = prefix.utf8Start
        for i in 0..<count where bytes[i] != p[i] { return false }
        return true
    }

    /// Whether two byte ranges are equal ignoring ASCII case.
    static func equalIgnoringCase(
        _ bytes: UnsafeBufferPointer<UInt8>, _ a: Range<Int>, _ b: Range<Int>
    ) -> Bool {
        guard a.count == b.count else { return false }
        var i = a.lowerBound
        var j = b.lowerBound
        while i < a.upperBound {
            if lowercased(bytes[i]) != lowercased(bytes[j]) { return false }
            i += 1
            j += 1
        }
        return true
    }

    /// A sub-range of a buffer as a buffer of its own.
    @inline(__always)
    static func slice(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[range])
    }

    /// A string made of a sub-range of a buffer (the buffer is valid UTF-8 ASCII after validation).
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
