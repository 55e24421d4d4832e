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
        let fields = Self.sortedFields(LogRedaction.redact(mergedMetadata(event)))
        let message = event.message.description
        let error = event.error.map { String(describing: $0) }
        sink.render { line in
            Self.render(
                into: &line, format: format, timestamp: nil, level: event.level, label: label, message: message,
                fields: fields, error: error)
        }
    }

    /// The request event of ``Logger/logRequest(_:file:function:line:)``, rendered without building a metadata
    /// dictionary: the same line ``log(event:)`` writes for ``RequestLogEvent/metadata``. `timestamp == nil` means now.
    func logRequest(_ event: RequestLogEvent, timestamp: String? = nil) {
        counter?.count(.info)
        switch metadata.count {
        case 0:
            renderRequest(event, timestamp: timestamp, handlerFields: EmptyCollection())
        case 1:
            renderRequest(event, timestamp: timestamp, handlerFields: CollectionOfOne(metadata.first!))
        default:
            renderRequest(event, timestamp: timestamp, handlerFields: metadata.sorted { $0.key < $1.key })
        }
    }

    private func renderRequest<Fields: Collection<(key: String, value: Logger.MetadataValue)>>(
        _ event: RequestLogEvent,
        timestamp: String?,
        handlerFields: Fields
    ) {
        let format = format
        sink.render { line in
            var renderer = LineRenderer(format: format)
            renderer.head(timestamp: timestamp, level: .info, label: label, into: &line)
            renderer.key("msg", into: &line.bytes)
            renderer.message(event, into: &line.bytes)
            var handler = handlerFields.makeIterator()
            var pending = handler.next()
            // Handler metadata in key order, merged with the request's fields (which win on equal keys).
            func emitHandlerFields(before key: String) {
                while let field = pending, field.key <= key {
                    if field.key != key {
                        renderer.key(Self.fieldName(field.key), into: &line.bytes)
                        renderer.value(
                            LogRedaction.isSensitive(key: field.key) ? .string(LogRedaction.placeholder) : LogRedaction.redact(field.value),
                            into: &line.bytes)
                    }
                    pending = handler.next()
                }
            }
            emitHandlerFields(before: RequestLogEvent.Key.bytes)
            renderer.key(RequestLogEvent.Key.bytes, into: &line.bytes)
            renderer.number(into: &line.bytes) { LineEncoder.appendPadded(event.bytes, width: 1, to: &$0) }
            emitHandlerFields(before: RequestLogEvent.Key.durationMilliseconds)
            renderer.key(RequestLogEvent.Key.durationMilliseconds, into: &line.bytes)
            renderer.number(into: &line.bytes) { RequestLogEvent.appendMilliseconds(event.durationNanoseconds, to: &$0) }
            emitHandlerFields(before: RequestLogEvent.Key.method)
            renderer.key(RequestLogEvent.Key.method, into: &line.bytes)
            renderer.string(event.method, into: &line.bytes)
            if let path = event.path {
                emitHandlerFields(before: RequestLogEvent.Key.path)
                renderer.key(RequestLogEvent.Key.path, into: &line.bytes)
                renderer.string(path, into: &line.bytes)
            }
            emitHandlerFields(before: RequestLogEvent.Key.route)
            renderer.key(RequestLogEvent.Key.route, into: &line.bytes)
            renderer.string(event.route, into: &line.bytes)
            emitHandlerFields(before: RequestLogEvent.Key.status)
            renderer.key(RequestLogEvent.Key.status, into: &line.bytes)
            renderer.number(into: &line.bytes) { LineEncoder.appendPadded(event.status, width: 1, to: &$0) }
            while let field = pending {
                renderer.key(Self.fieldName(field.key), into: &line.bytes)
                renderer.value(
                    LogRedaction.isSensitive(key: field.key) ? .string(LogRedaction.placeholder) : LogRedaction.redact(field.value),
                    into: &line.bytes)
                pending = handler.next()
            }
            renderer.end(into: &line.bytes)
        }
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

    /// The rendered name of a metadata key: keys that clash with the line's own fields get an `md_` prefix.
    static func fieldName(_ key: String) -> String {
        reservedKeys.contains(key) ? "md_\(key)" : key
    }

    static func sortedFields(_ metadata: Logger.Metadata) -> [(key: String, value: Logger.MetadataValue)] {
        metadata.sorted { $0.key < $1.key }
    }

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
        var line = LineBuffer()
        line.bytes.reserveCapacity(160 + message.utf8.count + metadata.count * 32)
        render(
            into: &line, format: format, timestamp: timestamp, level: level, label: label, message: message,
            fields: sortedFields(metadata), error: error)
        return line.bytes
    }

    /// Appends one line; `fields` are in key order.
    static func render(
        into line: inout LineBuffer,
        format: Format,
        timestamp: String?,
        level: Logger.Level,
        label: String,
        message: String,
        fields: [(key: String, value: Logger.MetadataValue)],
        error: String?
    ) {
        var renderer = LineRenderer(format: format)
        renderer.head(timestamp: timestamp, level: level, label: label, into: &line)
        renderer.key("msg", into: &line.bytes)
        renderer.string(message, into: &line.bytes)
        for field in fields {
            renderer.key(fieldName(field.key), into: &line.bytes)
            renderer.value(field.value, into: &line.bytes)
        }
        if let error {
            renderer.key("error", into: &line.bytes)
            renderer.string(error, into: &line.bytes)
        }
        renderer.end(into: &line.bytes)
    }
}

/// Writes the parts of one logfmt or JSON line.
struct LineRenderer {
    let format: LineLogHandler.Format
    private var first = true

    init(format: LineLogHandler.Format) {
        self.format = format
    }

    /// `ts`, `level` and `logger`.
    mutating func head(timestamp: String?, level: Logger.Level, label: String, into line: inout LineBuffer) {
        key("ts", into: &line.bytes)
        if let timestamp {
            string(timestamp, into: &line.bytes)
        } else {
            if format == .json { line.bytes.append(UInt8(ascii: "\"")) }
            line.clock.appendNow(to: &line.bytes)
            if format == .json { line.bytes.append(UInt8(ascii: "\"")) }
        }
        key("level", into: &line.bytes)
        string(level.rawValue, into: &line.bytes)
        key("logger", into: &line.bytes)
        string(label, into: &line.bytes)
    }

    mutating func key(_ name: String, into out: inout [UInt8]) {
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

    func string(_ value: String, into out: inout [UInt8]) {
        switch format {
        case .logfmt: LineEncoder.appendLogfmtValue(value, to: &out)
        case .json: LineEncoder.appendJSONString(value, to: &out)
        }
    }

    /// A value made of digits and dots only: bare in logfmt, a string in JSON (as metadata values are).
    func number(into out: inout [UInt8], _ digits: (inout [UInt8]) -> Void) {
        if format == .json { out.append(UInt8(ascii: "\"")) }
        digits(&out)
        if format == .json { out.append(UInt8(ascii: "\"")) }
    }

    func value(_ value: Logger.MetadataValue, into out: inout [UInt8]) {
        switch (format, value) {
        case (_, .string(let text)):
            string(text, into: &out)
        case (_, .stringConvertible(let convertible)):
            string(convertible.description, into: &out)
        case (.logfmt, _):
            string(LogValue(value).json, into: &out)
        case (.json, _):
            LogValue(value).appendJSON(to: &out)
        }
    }

    /// `<method> <route> <status>`, as ``string(_:into:)`` would write that message (quoted in logfmt: it has spaces).
    func message(_ event: RequestLogEvent, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        switch format {
        case .logfmt:
            LineEncoder.appendLogfmtEscaped(event.method.utf8, to: &out)
            out.append(UInt8(ascii: " "))
            LineEncoder.appendLogfmtEscaped(event.route.utf8, to: &out)
        case .json:
            LineEncoder.appendJSONEscaped(event.method, to: &out)
            out.append(UInt8(ascii: " "))
            LineEncoder.appendJSONEscaped(event.route, to: &out)
        }
        out.append(UInt8(ascii: " "))
        LineEncoder.appendPadded(event.status, width: 1, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    func end(into out: inout [UInt8]) {
        if format == .json { out.append(UInt8(ascii: "}")) }
        out.append(UInt8(ascii: "\n"))
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
