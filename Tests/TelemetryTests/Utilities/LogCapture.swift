import Logging
import Synchronization

@testable import Telemetry

/// Collects the lines a handler writes.
final class LogCapture: Sendable {
    private let storage = Mutex<[String]>([])

    var sink: LogSink {
        LogSink { bytes in self.storage.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) } }
    }

    var lines: [String] { storage.withLock { $0 } }
    var text: String { lines.joined() }

    func logger(_ label: String = "test", format: LineLogHandler.Format = .logfmt, level: Logger.Level = .trace) -> Logger {
        let sink = self.sink
        return Logger(label: label) { label in LineLogHandler(label: label, format: format, level: level, sink: sink) }
    }
}
