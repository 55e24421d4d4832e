import CoreMetrics
import Foundation
import Logging
import Testing

@testable import Telemetry

@Suite("Request log line and log writer")
struct RequestLogTests {
    static let timestamp = "2026-11-29T18:00:00.123Z"

    static let events: [RequestLogEvent] = [
        RequestLogEvent(
            method: "POST", route: "com.atproto.repo.createRecord", status: 200, durationNanoseconds: 1_234_567,
            bytes: 187, path: nil),
        RequestLogEvent(method: "GET", route: "other", status: 404, durationNanoseconds: 999, bytes: 0, path: "/missing path/\"q\"/ü\u{2028}"),
        RequestLogEvent(method: "HEAD", route: "/xrpc/_health", status: 200, durationNanoseconds: 12_000_000_001, bytes: 0, path: nil),
        RequestLogEvent(method: "GET", route: "we\"ird\\route\t", status: 500, durationNanoseconds: -5, bytes: 1 << 40, path: ""),
    ]

    /// Handler metadata around and between the request's own keys, one that clashes with a request key (the
    /// request's value wins), a reserved name, secrets and nested values.
    static let handlerMetadata: [Logger.Metadata] = [
        [:],
        ["request_id": "req-1"],
        [
            "request_id": "req-2", "aaa": "first", "did": "did:plc:between", "msg": "clash", "route": "handler-route",
            "session_token": "tok-secret", "nested": .dictionary(["password": "pw-secret", "list": .array(["a", "b"])]),
            "zzz": .stringConvertible(42), "status_extra": "after status",
        ],
    ]

    @Test("the direct request line is byte for byte the generic line", arguments: LineLogHandler.Format.allCases)
    func directRenderingMatchesGeneric(format: LineLogHandler.Format) {
        for metadata in Self.handlerMetadata {
            for event in Self.events {
                let capture = LogCapture()
                var handler = LineLogHandler(label: "pds", format: format, sink: capture.sink)
                handler.metadata = metadata
                handler.logRequest(event, timestamp: Self.timestamp)
                let generic = LineLogHandler.render(
                    format: format, timestamp: Self.timestamp, level: .info, label: "pds", message: event.message,
                    metadata: LogRedaction.redact(metadata.merging(event.metadata) { $1 }), error: nil)
                #expect(capture.lines == [generic])
                #expect(!generic.contains("secret"))
            }
        }
    }

    @Test("a logfmt request line as README documents it")
    func logfmtExample() {
        let capture = LogCapture()
        var handler = LineLogHandler(label: "pds", format: .logfmt, sink: capture.sink)
        handler.metadata = ["request_id": "req-1"]
        handler.logRequest(Self.events[0], timestamp: Self.timestamp)
        handler.logRequest(Self.events[1], timestamp: Self.timestamp)
        #expect(
            capture.lines == [
                #"ts=2026-11-29T18:00:00.123Z level=info logger=pds msg="POST com.atproto.repo.createRecord 200" bytes=187 duration_ms=1.234 method=POST request_id=req-1 route=com.atproto.repo.createRecord status=200"#
                    + "\n",
                "ts=2026-11-29T18:00:00.123Z level=info logger=pds msg=\"GET other 404\" bytes=0 duration_ms=0.000 method=GET path=\"/missing path/\\\"q\\\"/ü\u{2028}\" request_id=req-1 route=other status=404\n",
            ])
    }

    @Test("Logger.logRequest: direct for line handlers, metadata for others, nothing below info")
    func loggerEntryPoint() {
        let capture = LogCapture()
        var logger = capture.logger(level: .info)
        logger[metadataKey: "request_id"] = "r-9"
        logger.logRequest(Self.events[0])
        #expect(capture.lines.count == 1)
        #expect(capture.text.contains(" bytes=187 duration_ms=1.234 method=POST request_id=r-9 "))
        #expect(capture.text.hasPrefix("ts=20"))

        // A handler with a metadata provider takes the generic path, with the same fields.
        let provided = LogCapture()
        let sink = provided.sink
        let provider = Logger.MetadataProvider { ["trace_id": "t-1"] }
        let providerLogger = Logger(label: "p") { LineLogHandler(label: $0, format: .logfmt, sink: sink, metadataProvider: provider) }
        providerLogger.logRequest(Self.events[0])
        #expect(provided.text.contains(" bytes=187 duration_ms=1.234 method=POST route=com.atproto.repo.createRecord status=200 trace_id=t-1\n"))

        let quiet = LogCapture()
        quiet.logger(level: .warning).logRequest(Self.events[0])
        #expect(quiet.lines.isEmpty)
    }

    @Test("milliseconds have three decimals")
    func milliseconds() {
        #expect(RequestLogEvent.milliseconds(0) == "0.000")
        #expect(RequestLogEvent.milliseconds(1_234_567) == "1.234")
        #expect(RequestLogEvent.milliseconds(12_000_000_001) == "12000.000")
        #expect(RequestLogEvent.milliseconds(-1) == "0.000")
    }

    @Test("the timestamp cache gives the same text as a fresh conversion")
    func timestampCache() {
        var cache = TimestampCache()
        for (seconds, milliseconds) in [(1_795_605_512, 511), (1_795_605_512, 7), (1_795_605_513, 0), (0, 999), (1_795_605_512, 100)] {
            var cached: [UInt8] = []
            cache.append(seconds: seconds, milliseconds: milliseconds, to: &cached)
            #expect(String(decoding: cached, as: UTF8.self) == LogTimestamp.format(seconds: seconds, milliseconds: milliseconds))
        }
    }

    // MARK: LogWriter

    /// A temporary file the writer writes to.
    final class TempFile {
        let path: String
        let fd: Int32

        init() {
            path = NSTemporaryDirectory() + "log-writer-\(UUID().uuidString).log"
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }

        var text: String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

        deinit {
            close(fd)
            unlink(path)
        }
    }

    @Test("lines from many threads arrive whole, in order per thread, after flush")
    func concurrentLinesArriveWhole() async throws {
        let file = TempFile()
        let writer = LogWriter(fd: file.fd)
        let sink = LogSink(writer: writer)
        let threads = 8
        let perThread = 500
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<threads {
                group.addTask {
                    var handler = LineLogHandler(label: "w", format: .logfmt, sink: sink)
                    handler.metadata = ["thread": .stringConvertible(thread)]
                    for index in 0..<perThread {
                        handler.logRequest(
                            RequestLogEvent(
                                method: "GET", route: "r\(index)", status: 200, durationNanoseconds: 1000, bytes: index,
                                path: nil))
                    }
                }
            }
        }
        writer.flush(timeout: .seconds(30))
        let lines = file.text.split(separator: "\n")
        #expect(lines.count == threads * perThread)
        #expect(writer.droppedLines == 0)
        for thread in 0..<threads {
            let mine = lines.filter { $0.hasSuffix(" status=200 thread=\(thread)") }
            #expect(mine.count == perThread)
            #expect(mine.enumerated().allSatisfy { index, line in line.contains(" route=r\(index) ") })
        }
    }

    @Test("a full buffer drops lines, counts them, and never blocks the caller")
    func fullBufferDrops() throws {
        let file = TempFile()
        let metrics = TelemetryMetrics()
        let writer = LogWriter(fd: file.fd, capacity: 500, batchDelay: .zero)
        writer.countDrops(in: Counter(label: "pds_log_lines_dropped_total", factory: metrics.factory))
        writer.setPaused(true)  // the descriptor is "stuck": nothing is taken from the buffer
        let line = Array(String(repeating: "x", count: 49).utf8) + [UInt8(ascii: "\n")]
        for _ in 0..<25 { writer.append(line) }
        #expect(writer.droppedLines == 15)
        #expect(Exposition(metrics.render()).value("pds_log_lines_dropped_total", labels: "") == 15)
        writer.setPaused(false)
        writer.flush(timeout: .seconds(30))
        #expect(file.text == String(repeating: String(decoding: line, as: UTF8.self), count: 10))
        // Room again once written.
        writer.append(line)
        writer.flush(timeout: .seconds(30))
        #expect(file.text.count == 11 * 50)
        #expect(writer.droppedLines == 15)
    }

    @Test("LogSetup counts the stderr writer's drops in pds_log_lines_dropped_total")
    func setupRegistersDropCounter() {
        let metrics = TelemetryMetrics()
        let file = TempFile()
        let writer = LogWriter(fd: file.fd, capacity: 10, batchDelay: .zero)
        writer.setPaused(true)
        let factory = LogSetup.makeHandlerFactory(
            format: .logfmt, level: .info, metricsFactory: metrics.factory, environment: [:], sink: LogSink(writer: writer))
        let logger = Logger(label: "drops", factory: factory)
        logger.info("first line is kept even when longer than the capacity")
        logger.info("dropped")
        #expect(Exposition(metrics.render()).value("pds_log_lines_dropped_total", labels: "") == 1)
        #expect(metrics.unknownMetricNames().isEmpty)
        writer.setPaused(false)
        writer.flush(timeout: .seconds(30))
        #expect(file.text.contains("msg=\"first line is kept"))
        #expect(!file.text.contains("msg=dropped"))
    }
}
