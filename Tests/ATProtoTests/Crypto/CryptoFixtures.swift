/// Constants and small helpers shared by the crypto tests.
enum CryptoFixtures {
    /// RFC 6979 k256 signature of "hello world" with the first w3c_didkey_K256 private key.
    static let k256HelloWorldSignature =
        "15259d1e4900a614f6b2813049e4b16ecea6b0b9efe9014dc2bb31358319ec52"
        + "5ee9d5d9be0c6456fb43c41a1526a4d5eac812d3721578a8cf2ae2b6ea9a8219"

    static func bytes(_ hex: String) -> [UInt8] {
        var out = [UInt8]()
        var chars = Array(hex.utf8).makeIterator()
        while let high = chars.next(), let low = chars.next() {
            out.append(nibble(high) << 4 | nibble(low))
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    private static func nibble(_ c: UInt8) -> UInt8 {
        c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : (c | 0x20) - UInt8(ascii: "a") + 10
    }
}
