import Logging

/// A swift-log handler that writes one logfmt or JSON line per event to a ``LogSink`` (stderr by
/// default). Secret metadata is redacted (see ``LogRedaction``) and every event is counted in
/// `pds_log_messages_total{level}`.
public struct LineLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable {
        case logfmt
        case json
    }

    public let label: String
    public let format: Format
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let sink: LogSink
    private let counter: LogMessageCounter?

    public init(
        label: String,
        format: Format,
        level: Logger.Level = .info,
        sink: LogSink = .standardError,
        counter: LogMessageCounter? = nil,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.sink = sink
        self.counter = counter
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        counter?.count(event.level)
        let merged = LogRedaction.redact(mergedMetadata(event))
        let line = LineLogHandler.render(
            format: format,
            timestamp: LogTimestamp.now(),
            level: event.level,
            label: label,
            message: event.message.description,
            metadata: merged,
            error: event.error.map { String(describing: $0) }
        )
        sink.write(Array(line.utf8))
    }

    private func mergedMetadata(_ event: LogEvent) -> Logger.Metadata {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let eventMetadata = event.metadata {
            merged.merge(eventMetadata) { _, new in new }
        }
        return merged
    }

    // MARK: Rendering (internal for tests)

    static let reservedKeys: Set<String> = ["ts", "level", "logger", "msg", "error"]

    static func render(
        format: Format,
        timestamp: String,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata,
        error: String?
    ) -> String {
        var fields: [(String, LogValue)] = [
            ("ts", .string(timestamp)),
            ("level", .string(level.rawValue)),
            ("logger", .string(label)),
            ("msg", .string(message)),
        ]
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            let name = reservedKeys.contains(key) ? "md_\(key)" : key
            fields.append((name, LogValue(value)))
        }
        if let error { fields.append(("error", .string(error))) }
        switch format {
        case .logfmt:
            return fields.map { "\(logfmtKey($0.0))=\(logfmtValue($0.1.flatText))" }.joined(separator: " ") + "\n"
        case .json:
            return "{" + fields.map { "\(jsonString($0.0)):\($0.1.json)" }.joined(separator: ",") + "}\n"
        }
    }

    static func logfmtKey(_ key: String) -> String {
        let cleaned = key.unicodeScalars.map { scalar -> String in
            scalar.value > 0x20 && scalar != "=" && scalar != "\"" && scalar.value != 0x7F ? String(scalar) : "_"
        }.joined()
        return cleaned.isEmpty ? "_" : cleaned
    }

    static func logfmtValue(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains { $0.value <= 0x20 || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.value == 0x7F }
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// A metadata value prepared for rendering.
enum LogValue {
    case string(String)
    case array([LogValue])
    case dictionary([(String, LogValue)])

    init(_ value: Logger.MetadataValue) {
        switch value {
        case .string(let string):
            self = .string(string)
        case .stringConvertible(let convertible):
            self = .string(convertible.description)
        case .array(let array):
            self = .array(array.map(LogValue.init))
        case .dictionary(let dictionary):
            self = .dictionary(dictionary.keys.sorted().compactMap { key in dictionary[key].map { (key, LogValue($0)) } })
        @unknown default:
            self = .string(String(describing: value))
        }
    }

    /// One-line text (nested values in JSON notation): for logfmt and journald fields.
    var flatText: String {
        if case .string(let string) = self { return string }
        return json
    }

    var json: String {
        switch self {
        case .string(let string):
            return LineLogHandler.jsonString(string)
        case .array(let array):
            return "[" + array.map(\.json).joined(separator: ",") + "]"
        case .dictionary(let pairs):
            return "{" + pairs.map { "\(LineLogHandler.jsonString($0.0)):\($0.1.json)" }.joined(separator: ",") + "}"
        }
    }
}
