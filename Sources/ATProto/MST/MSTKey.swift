import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Repository keys (`<collection>/<rkey>`) as the MST sees them: validation, height, prefix length.
public enum MSTKey {
    /// Longest key, in bytes.
    public static let maxLength = 1024

    /// Checks that `key` is `<collection>/<rkey>`: exactly one `/`, both parts non-empty and made of
    /// `A-Z a-z 0-9 _ ~ - : .`, at most 1024 bytes.
    public static func validate(_ key: some Collection<UInt8>) throws(MSTError) {
        guard key.count <= maxLength else {
            throw MSTError(.invalidKey, "key of \(key.count) bytes exceeds \(maxLength)")
        }
        var slashes = 0
        var partLength = 0
        for byte in key {
            if byte == UInt8(ascii: "/") {
                guard partLength > 0 else { throw MSTError(.invalidKey, "empty part in key \(describe(key))") }
                slashes += 1
                partLength = 0
                continue
            }
            guard isAllowed(byte) else {
                throw MSTError(.invalidKey, "character 0x\(String(byte, radix: 16)) not allowed in key \(describe(key))")
            }
            partLength += 1
        }
        guard slashes == 1 else {
            throw MSTError(.invalidKey, "key \(describe(key)) must have exactly one '/', has \(slashes)")
        }
        guard partLength > 0 else { throw MSTError(.invalidKey, "empty part in key \(describe(key))") }
    }

    /// Checks `key` and returns its bytes.
    public static func validated(_ key: String) throws(MSTError) -> [UInt8] {
        let bytes = Array(key.utf8)
        try validate(bytes)
        return bytes
    }

    public static func isValid(_ key: String) -> Bool {
        (try? validate(Array(key.utf8))) != nil
    }

    /// The MST layer of `key`: leading zero bits of SHA-256(key) counted in 2-bit chunks (fanout 4).
    public static func height(_ key: some Collection<UInt8>) -> Int {
        let digest: SHA256.Digest
        if let array = key as? [UInt8] {
            digest = SHA256.hash(data: array)
        } else {
            digest = SHA256.hash(data: Array(key))
        }
        var zeros = 0
        for byte in digest {
            if byte == 0 {
                zeros += 4
                continue
            }
            if byte < 4 { zeros += 3 } else if byte < 16 { zeros += 2 } else if byte < 64 { zeros += 1 }
            break
        }
        return zeros
    }

    public static func height(_ key: String) -> Int { height(Array(key.utf8)) }

    /// Number of leading bytes `a` and `b` share.
    public static func commonPrefixLength(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let n = min(a.count, b.count)
        var i = 0
        while i < n && a[i] == b[i] { i += 1 }
        return i
    }

    public static func commonPrefixLength(_ a: String, _ b: String) -> Int {
        commonPrefixLength(Array(a.utf8), Array(b.utf8))
    }

    @inline(__always)
    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }

    static func describe(_ key: some Collection<UInt8>) -> String {
        String(decoding: key.prefix(80), as: UTF8.self).debugDescription
    }

    /// Three-way byte comparison.
    @inline(__always)
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in compare(pa, pb) } }
    }

    @inline(__always)
    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let n = min(a.count, b.count)
        if n > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let c = memcmp(pa, pb, n)
            if c != 0 { return c < 0 ? -1 : 1 }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}
