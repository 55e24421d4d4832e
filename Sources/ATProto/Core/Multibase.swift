import Foundation

/// Multibase string encodings used by atproto: base32 lower-case (`b`, CIDs) and base58btc (`z`, did:key,
/// multikey), plus the plain alphabets without the prefix character.
public enum Multibase {
    public enum Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case unsupportedPrefix(Character)
        case invalidCharacter(Character)
        case invalidPadding

        public var description: String {
            switch self {
            case .empty: "empty multibase string"
            case .unsupportedPrefix(let c): "unsupported multibase prefix '\(c)'"
            case .invalidCharacter(let c): "invalid character '\(c)' for this base"
            case .invalidPadding: "non-zero trailing bits in base32 data"
            }
        }
    }

    /// Decodes a multibase string with prefix `b` (base32 lower) or `z` (base58btc).
    public static func decode(_ string: String) throws(Error) -> [UInt8] {
        guard let prefix = string.first else { throw .empty }
        let body = string.dropFirst()
        switch prefix {
        case "b": return try base32Decode(body)
        case "z": return try base58Decode(body)
        default: throw .unsupportedPrefix(prefix)
        }
    }

    // MARK: base32 (RFC 4648, lower case, no padding)

    private static let base32Alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
    private static let base32Table: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in base32Alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    public static func base32Encode(_ bytes: some Collection<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(base32Alphabet[Int((buffer >> UInt32(bits)) & 31)])
            }
        }
        if bits > 0 {
            out.append(base32Alphabet[Int((buffer << UInt32(5 - bits)) & 31)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func base32Decode(_ string: some StringProtocol) throws(Error) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(string.utf8.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for c in string.utf8 {
            let v = base32Table[Int(c)]
            guard v >= 0 else { throw .invalidCharacter(Character(Unicode.Scalar(c))) }
            buffer = (buffer << 5) | UInt32(v)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        // A whole spare character, or non-zero leftover bits, is not a canonical encoding.
        if bits >= 5 { throw .invalidPadding }
        if bits > 0, buffer & ((1 << UInt32(bits)) - 1) != 0 { throw .invalidPadding }
        return out
    }

    // MARK: base58btc

    private static let base58Alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    private static let base58Table: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in base58Alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    public static func base58Encode(_ input: some Collection<UInt8>) -> String {
        let bytes = Array(input)
        let zeros = bytes.prefix(while: { $0 == 0 }).count
        // Big-number base conversion, base 256 -> base 58.
        var digits = [UInt8](repeating: 0, count: bytes.count * 138 / 100 + 1)
        var length = 0
        for byte in bytes[zeros...] {
            var carry = Int(byte)
            var i = 0
            var k = digits.count - 1
            while (carry != 0 || i < length) && k >= 0 {
                carry += 256 * Int(digits[k])
                digits[k] = UInt8(carry % 58)
                carry /= 58
                i += 1
                k -= 1
            }
            length = i
        }
        var out = [UInt8](repeating: base58Alphabet[0], count: zeros)
        for d in digits[(digits.count - length)...] { out.append(base58Alphabet[Int(d)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func base58Decode(_ string: some StringProtocol) throws(Error) -> [UInt8] {
        let chars = Array(string.utf8)
        let zeros = chars.prefix(while: { $0 == base58Alphabet[0] }).count
        var bytes = [UInt8](repeating: 0, count: chars.count * 733 / 1000 + 1)
        var length = 0
        for c in chars[zeros...] {
            let v = base58Table[Int(c)]
            guard v >= 0 else { throw .invalidCharacter(Character(Unicode.Scalar(c))) }
            var carry = Int(v)
            var i = 0
            var k = bytes.count - 1
            while (carry != 0 || i < length) && k >= 0 {
                carry += 58 * Int(bytes[k])
                bytes[k] = UInt8(carry & 0xff)
                carry >>= 8
                i += 1
                k -= 1
            }
            length = i
        }
        return [UInt8](repeating: 0, count: zeros) + bytes[(bytes.count - length)...]
    }

    // MARK: base64

    /// Standard base64 with padding (the atproto JSON `$bytes` form accepts input with or without padding).
    public static func base64Encode(_ bytes: some Collection<UInt8>, padded: Bool = true, urlSafe: Bool = false) -> String {
        var s = Data(bytes).base64EncodedString()
        if urlSafe {
            s = s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        }
        if !padded { while s.hasSuffix("=") { s.removeLast() } }
        return s
    }

    /// Decodes standard or URL-safe base64, padding optional. Returns nil on invalid input.
    public static func base64Decode(_ string: some StringProtocol) -> [UInt8]? {
        var s = String(string)
        if s.contains("-") || s.contains("_") {
            s = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        }
        let remainder = s.utf8.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { s += String(repeating: "=", count: 4 - remainder) }
        guard let data = Data(base64Encoded: s) else { return nil }
        return [UInt8](data)
    }
}
