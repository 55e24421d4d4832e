import Logging

/// Keeps secrets out of logs: metadata whose key names a secret is replaced by `<redacted>`.
public enum LogRedaction {
    public static let placeholder = "<redacted>"

    /// Key fragments that mark a value as secret, matched case-insensitively anywhere in the key.
    public static let sensitiveFragments = ["password", "secret", "token", "authorization", "jwt", "cookie"]

    public static func isSensitive(key: String) -> Bool {
        let lowered = key.lowercased()
        return sensitiveFragments.contains { lowered.contains($0) }
    }

    /// Redacts sensitive keys, also inside nested dictionaries and arrays of dictionaries.
    public static func redact(_ metadata: Logger.Metadata) -> Logger.Metadata {
        var result = metadata
        for (key, value) in metadata {
            result[key] = isSensitive(key: key) ? .string(placeholder) : redact(value)
        }
        return result
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
