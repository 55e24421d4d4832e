/// The order `n` of the P-256 group and the low-S rule (`s <= n / 2`) for 64-byte compact signatures.
enum P256Order {
    /// n = FFFFFFFF 00000000 FFFFFFFF FFFFFFFF BCE6FAAD A7179E84 F3B9CAC2 FC632551
    static let order: [UInt8] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
    ]
    /// floor(n / 2) = 7FFFFFFF 80000000 7FFFFFFF FFFFFFFF DE737D56 D38BCF42 79DCE561 7E3192A8
    static let halfOrder: [UInt8] = [
        0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
    ]

    /// Whether the `s` half of a 64-byte compact signature is at most n / 2.
    static func isLowS(_ signature: [UInt8]) -> Bool {
        CryptoEncoding.compare(signature[32..<64], halfOrder) <= 0
    }

    /// The signature with `s` replaced by `n - s` when `s` is high (both forms verify; atproto wants low-S).
    static func lowS(_ signature: [UInt8]) -> [UInt8] {
        if isLowS(signature) { return signature }
        return Array(signature[0..<32]) + CryptoEncoding.subtract(order, signature[32..<64])
    }
}
