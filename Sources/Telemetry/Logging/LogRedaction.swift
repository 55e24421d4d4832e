import Logging

/// Keeps secrets out of logs: metadata whose key names a secret is replaced by `<redacted>`.
public enum LogRedaction {
    public static let placeholder = "<redacted>"

    /// Key fragments that mark a value as secret, matched case-insensitively anywhere in the key.
    public static let sensitiveFragments = ["password", "secret", "token", "authorization", "jwt", "cookie"]

    public static func isSensitive(key: String) -> Bool {
        var key = key
        return key.withUTF8 { bytes in
            fragmentBytes.contains { fragment in containsFolded(bytes, fragment) }
        }
    }

    /// Redacts sensitive keys, also inside nested dictionaries and arrays of dictionaries.
    public static func redact(_ metadata: Logger.Metadata) -> Logger.Metadata {
        var result = metadata
        for (key, value) in metadata {
            if isSensitive(key: key) {
                result[key] = .string(placeholder)
            } else if case .string = value {
                continue
            } else if case .stringConvertible = value {
                continue
            } else {
                result[key] = redact(value)
            }
        }
        return result
    }

    private static let fragmentBytes: [[UInt8]] = sensitiveFragments.map { Array($0.utf8) }

    /// ASCII case-insensitive substring search (`needle` is lower case).
    private static func containsFolded(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        var start = 0
        while start + needle.count <= haystack.count {
            var offset = 0
            while offset < needle.count {
                var byte = haystack[start + offset]
                if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte += 32 }
                if byte != needle[offset] { break }
                offset += 1
            }
            if offset == needle.count { return true }
            start += 1
        }
        return false
    }

    static func redact(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .dictionary(let dictionary):
            return .dictionary(redact(dictionary))
        case .array(let array):
            return .array(array.map(redact))
        case .string, .stringConvertible:
            return value
        @unknown default:
            return value
        }
    }
}
