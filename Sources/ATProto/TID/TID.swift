import Foundation

/// A timestamp identifier (`specs/tid`): a 64-bit integer (top bit 0, then 53 bits of
/// microseconds since the UNIX epoch, then a 10-bit clock id) written as 13 characters of
/// `base32-sortable` (`234567abcdefghijklmnopqrstuvwxyz`). String order equals numeric order.
public struct TID: SyntaxIdentifier, Comparable {
    /// The largest timestamp a TID can hold (2^53 - 1 microseconds, in the year 2255).
    public static let maxTimestampMicros: UInt64 = (1 << 53) - 1
    /// The largest clock id (10 bits).
    public static let maxClockID: UInt16 = 1023

    /// The integer value. TIDs made here always have the top bit clear; the string syntax (first
    /// character `2`-`j`) also admits values with the top bit set, which parse but whose
    /// `timestampMicros` then exceeds `maxTimestampMicros`.
    public let rawValue: UInt64

    /// Parses and validates a 13-character TID string.
    public init(_ string: String) throws(SyntaxError) {
        let value = SyntaxBytes.withBytes(string, TID.decode)
        switch value {
        case .success(let raw): rawValue = raw
        case .failure(let error): throw error
        }
    }

    /// A TID from its parts. Bits above the 53-bit timestamp and the 10-bit clock id are dropped
    /// (a timestamp above `maxTimestampMicros` is past the year 2255; clock ids are 0...1023).
    public init(timestampMicros: UInt64, clockID: UInt16) {
        rawValue = (timestampMicros & TID.maxTimestampMicros) << 10 | UInt64(clockID & TID.maxClockID)
    }

    /// A TID from its integer value.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Whether `string` is a syntactically valid TID.
    public static func isValid(_ string: String) -> Bool {
        SyntaxBytes.withBytes(string) { bytes in
            if case .success = decode(bytes) { return true }
            return false
        }
    }

    /// Microseconds since the UNIX epoch.
    public var timestampMicros: UInt64 { rawValue >> 10 }

    /// The 10-bit clock id.
    public var clockID: UInt16 { UInt16(truncatingIfNeeded: rawValue & 0x3FF) }

    /// The timestamp as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: Double(timestampMicros) / 1_000_000) }

    /// The 13-character base32-sortable form.
    public var string: String {
        String(unsafeUninitializedCapacity: 13) { out in
            var v = rawValue
            for i in stride(from: 12, through: 0, by: -1) {
                let digit = UInt8(truncatingIfNeeded: v & 31)
                out[i] = digit < 6 ? 0x32 + digit : 0x61 - 6 + digit  // 2-7, then a-z
                v >>= 5
            }
            return 13
        }
    }

    public static func < (lhs: TID, rhs: TID) -> Bool { lhs.rawValue < rhs.rawValue }

    static func decode(_ b: UnsafeBufferPointer<UInt8>) -> Result<UInt64, SyntaxError> {
        func fail(_ message: String) -> Result<UInt64, SyntaxError> {
            .failure(SyntaxError(kind: "tid", message: message))
        }
        guard b.count == 13 else { return fail("TID must be 13 characters (got \(b.count))") }
        var value: UInt64 = 0
        for c in b {
            let digit: UInt8
            if c &- 0x32 < 6 {  // 2...7
                digit = c &- 0x32
            } else if c &- 0x61 < 26 {  // a...z
                digit = c &- 0x61 + 6
            } else {
                return fail("TID may contain only 234567 and lower-case a-z (base32-sortable)")
            }
            value = value << 5 | UInt64(digit)
        }
        // 13 characters carry 65 bits: the first character must leave the 65th bit clear.
        if b[0] > 0x6A {  // beyond "j"
            return fail("TID first character must be one of 234567abcdefghij (value must fit in 64 bits)")
        }
        return .success(value)
    }
}
