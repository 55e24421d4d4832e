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
        let line = LineLogHandler.renderBytes(
            format: format,
            timestamp: nil,
            level: event.level,
            label: label,
            message: event.message.description,
            metadata: merged,
            error: event.error.map { String(describing: $0) }
        )
        sink.write(line)
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
        timestamp: String?,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata,
        error: String?
    ) -> String {
        String(
            decoding: renderBytes(
                format: format,
                timestamp: timestamp,
                level: level,
                label: label,
                message: message,
                metadata: metadata,
                error: error
            ),
            as: UTF8.self
        )
    }

    /// One line, newline-terminated. `timestamp == nil` means now.
    static func renderBytes(
        format: Format,
        timestamp: String?,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata,
        error: String?
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + message.utf8.count + metadata.count * 32)
        var first = true
        func key(_ name: String) {
            switch format {
            case .logfmt:
                if !first { out.append(UInt8(ascii: " ")) }
                LineEncoder.appendLogfmtKey(name, to: &out)
                out.append(UInt8(ascii: "="))
            case .json:
                out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
                LineEncoder.appendJSONString(name, to: &out)
                out.append(UInt8(ascii: ":"))
            }
            first = false
        }
        func string(_ value: String) {
            switch format {
            case .logfmt: LineEncoder.appendLogfmtValue(value, to: &out)
            case .json: LineEncoder.appendJSONString(value, to: &out)
            }
        }

        key("ts")
        if let timestamp {
            string(timestamp)
        } else {
            if format == .json { out.append(UInt8(ascii: "\"")) }
            LogTimestamp.appendNow(to: &out)
            if format == .json { out.append(UInt8(ascii: "\"")) }
        }
        key("level")
        string(level.rawValue)
        key("logger")
        string(label)
        key("msg")
        string(message)
        for name in metadata.keys.sorted() {
            guard let value = metadata[name] else { continue }
            key(reservedKeys.contains(name) ? "md_\(name)" : name)
            switch (format, value) {
            case (_, .string(let text)):
                string(text)
            case (_, .stringConvertible(let convertible)):
                string(convertible.description)
            case (.logfmt, _):
                string(LogValue(value).json)
            case (.json, _):
                LogValue(value).appendJSON(to: &out)
            }
        }
        if let error {
            key("error")
            string(error)
        }
        if format == .json { out.append(UInt8(ascii: "}")) }
        out.append(UInt8(ascii: "\n"))
        return out
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
        var out: [UInt8] = []
        appendJSON(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func appendJSON(to out: inout [UInt8]) {
        switch self {
        case .string(let string):
            LineEncoder.appendJSONString(string, to: &out)
        case .array(let array):
            out.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.appendJSON(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .dictionary(let pairs):
            out.append(UInt8(ascii: "{"))
            for (index, pair) in pairs.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                LineEncoder.appendJSONString(pair.0, to: &out)
                out.append(UInt8(ascii: ":"))
                pair.1.appendJSON(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
