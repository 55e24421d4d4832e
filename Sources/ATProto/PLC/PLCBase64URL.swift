/// Strict base64url without padding, as did:plc signatures use: only `A-Z a-z 0-9 - _`, no `=`, no
/// whitespace, and zero unused bits in the last character (one signature has exactly one spelling).
enum PLCBase64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let table: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    static func encode(_ bytes: [UInt8]) -> String {
        Multibase.base64Encode(bytes, padded: false, urlSafe: true)
    }

    /// The bytes of a canonical unpadded base64url string, or nil.
    static func decode(_ string: String) -> [UInt8]? {
        let chars = Array(string.utf8)
        guard chars.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for c in chars {
            let v = table[Int(c)]
            guard v >= 0 else { return nil }
            buffer = (buffer << 6) | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        guard bits == 0 || buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}
