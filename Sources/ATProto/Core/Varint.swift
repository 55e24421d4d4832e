/// Unsigned LEB128 varints as used by multiformats (CIDs, multicodec prefixes) and CAR framing.
public enum Varint {
    /// The largest value a multiformats varint may carry (2^63 - 1, at most 9 bytes).
    public static let maxValue: UInt64 = UInt64(Int64.max)

    public enum Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        case truncated
        case notMinimal
        case tooLarge

        public var description: String {
            switch self {
            case .truncated: "varint is truncated"
            case .notMinimal: "varint is not minimally encoded"
            case .tooLarge: "varint exceeds 63 bits"
            }
        }
    }

    /// Appends the encoding of `value` to `out`.
    @inlinable
    public static func encode(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    public static func encode(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(10)
        encode(value, into: &out)
        return out
    }

    /// Number of bytes `encode(value)` produces.
    public static func encodedLength(_ value: UInt64) -> Int {
        var v = value
        var n = 1
        while v >= 0x80 {
            v >>= 7
            n += 1
        }
        return n
    }

    /// Decodes a varint from `bytes` starting at `offset`; returns the value and the bytes consumed.
    /// Rejects truncated, non-minimal and over-long encodings.
    public static func decode<C: Collection<UInt8>>(_ bytes: C, at offset: C.Index) throws(Error) -> (value: UInt64, length: Int)
    where C.Index == Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var index = offset
        while true {
            guard index < bytes.endIndex else { throw .truncated }
            let byte = bytes[index]
            index += 1
            if shift == 63, byte > 0 { throw .tooLarge }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                if byte == 0 && index - offset > 1 { throw .notMinimal }
                break
            }
            shift += 7
            if shift > 63 { throw .tooLarge }
        }
        guard value <= maxValue else { throw .tooLarge }
        return (value, index - offset)
    }
}
