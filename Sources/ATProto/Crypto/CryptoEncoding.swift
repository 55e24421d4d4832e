/// Hex and fixed-width big-endian helpers for key material.
enum CryptoEncoding {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lower-case hex of `bytes`.
    static func hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes of a hex string (upper or lower case, even length), or nil.
    static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let high = nibble(chars[i]), let low = nibble(chars[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Compares two equal-length big-endian unsigned integers.
    static func compare(_ a: ArraySlice<UInt8>, _ b: [UInt8]) -> Int {
        precondition(a.count == b.count)
        for (x, y) in zip(a, b) where x != y {
            return x < y ? -1 : 1
        }
        return 0
    }

    /// `a - b` for equal-length big-endian unsigned integers with `a >= b`.
    static func subtract(_ a: [UInt8], _ b: ArraySlice<UInt8>) -> [UInt8] {
        precondition(a.count == b.count)
        var out = [UInt8](repeating: 0, count: a.count)
        var borrow = 0
        for (offset, (x, y)) in zip(a, b).enumerated().reversed() {
            var d = Int(x) - Int(y) - borrow
            borrow = d < 0 ? 1 : 0
            if d < 0 { d += 256 }
            out[offset] = UInt8(d)
        }
        return out
    }
}
