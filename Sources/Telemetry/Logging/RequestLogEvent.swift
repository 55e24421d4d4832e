import Logging

/// The one log event of every HTTP request (README "Logs"): message `<method> <route> <status>` with the fields
/// `method`, `route`, `status`, `duration_ms`, `bytes`, and `path` when the route does not name the endpoint;
/// `request_id` comes from the logger's metadata.
///
/// ``Logger/logRequest(_:file:function:line:)`` hands it to a ``LineLogHandler`` without building a metadata
/// dictionary (the line is rendered straight into the writer's buffer); other handlers get ``metadata``.
public struct RequestLogEvent: Sendable {
    public var method: String
    public var route: String
    public var status: Int
    public var durationNanoseconds: Int64
    /// Response body bytes sent.
    public var bytes: Int
    /// The request path (never the query string), logged only when set.
    public var path: String?

    public init(method: String, route: String, status: Int, durationNanoseconds: Int64, bytes: Int, path: String?) {
        self.method = method
        self.route = route
        self.status = status
        self.durationNanoseconds = durationNanoseconds
        self.bytes = bytes
        self.path = path
    }

    /// The metadata keys, in the order a line lists them.
    enum Key {
        static let bytes = "bytes"
        static let durationMilliseconds = "duration_ms"
        static let method = "method"
        static let path = "path"
        static let route = "route"
        static let status = "status"
    }

    public var message: String { "\(method) \(route) \(status)" }

    /// The fields as swift-log metadata (for handlers other than ``LineLogHandler``).
    public var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            Key.method: .string(method),
            Key.route: .string(route),
            Key.status: .stringConvertible(status),
            Key.durationMilliseconds: .string(Self.milliseconds(durationNanoseconds)),
            Key.bytes: .stringConvertible(bytes),
        ]
        if let path { metadata[Key.path] = .string(path) }
        return metadata
    }

    /// Milliseconds with three decimals, e.g. `12.345`.
    public static func milliseconds(_ nanoseconds: Int64) -> String {
        var out: [UInt8] = []
        appendMilliseconds(nanoseconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendMilliseconds(_ nanoseconds: Int64, to out: inout [UInt8]) {
        let micros = Int(max(0, nanoseconds / 1000))
        LineEncoder.appendPadded(micros / 1000, width: 1, to: &out)
        out.append(UInt8(ascii: "."))
        LineEncoder.appendPadded(micros % 1000, width: 3, to: &out)
    }
}

extension Logger {
    /// Logs ``RequestLogEvent`` at `info`. A ``LineLogHandler`` without a metadata provider renders it directly;
    /// any other handler gets the same event through `info(_:metadata:)`.
    public func logRequest(_ event: RequestLogEvent, file: String = #fileID, function: String = #function, line: UInt = #line) {
        guard logLevel <= .info else { return }
        if let lineHandler = handler as? LineLogHandler, lineHandler.metadataProvider == nil {
            lineHandler.logRequest(event)
            return
        }
        info("\(event.message)", metadata: event.metadata, file: file, function: function, line: line)
    }
}
