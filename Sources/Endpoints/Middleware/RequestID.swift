import HTTPTypes
import Synchronization

/// Request ids: a client's `X-Request-Id` is kept when sane (1-128 characters of
/// `[A-Za-z0-9._-]`), otherwise one is generated: 32 lower-case hex digits, a random prefix chosen
/// at process start followed by a counter, so ids are unique without a random draw per request.
enum RequestID {
    static let headerName = HTTPField.Name("X-Request-Id")!
    static let maxLength = 128

    static func resolve(_ incoming: String?) -> String {
        if let incoming, isSane(incoming) { return incoming }
        return generate()
    }

    static func isSane(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= maxLength else { return false }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return true
    }

    private static let prefix: String = {
        var generator = SystemRandomNumberGenerator()
        return hex(generator.next())
    }()
    private static let counter = Atomic<UInt64>(UInt64.random(in: 0...UInt64(UInt32.max)))

    static func generate() -> String {
        let (_, next) = counter.wrappingAdd(1, ordering: .relaxed)
        return prefix + hex(next)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.utf8.count) + digits
    }
}
