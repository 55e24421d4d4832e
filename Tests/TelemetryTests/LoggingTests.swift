import Foundation
import Logging
import Testing

@testable import Telemetry

@Suite("Logging")
struct LoggingTests {
    static let secrets = ["hunter2-pass", "eyJhbGciOiJIUzI1NiJ9.secret-jwt", "Bearer abc.def.ghi", "sid=cookie-value", "s3cr3t-key", "refresh-tok"]

    /// Metadata that carries every kind of secret, at top level and nested.
    static var secretMetadata: Logger.Metadata {
        [
            "password": .string(secrets[0]),
            "accessJwt": .string(secrets[1]),
            "Authorization": .string(secrets[2]),
            "headers": .dictionary(["cookie": .string(secrets[3]), "accept": "application/json"]),
            "jwt_secret": .string(secrets[4]),
            "items": .array([.dictionary(["refreshToken": .string(secrets[5])])]),
            "did": "did:plc:abc",
        ]
    }

    @Test("logfmt line: fields, quoting, escaping")
    func logfmt() {
        let line = LineLogHandler.render(
            format: .logfmt,
            timestamp: "2026-11-25T10:00:00.000Z",
            level: .info,
            label: "pds.http",
            message: "request done \"ok\"\nnext",
            metadata: ["route": "com.atproto.repo.getRecord", "status": .stringConvertible(200), "empty": "", "msg": "clash"],
            error: nil
        )
        #expect(
            line
                == #"ts=2026-11-25T10:00:00.000Z level=info logger=pds.http msg="request done \"ok\"\nnext" empty="" md_msg=clash route=com.atproto.repo.getRecord status=200"#
                + "\n"
        )
    }

    @Test("JSON line is valid JSON with the metadata as fields")
    func json() throws {
        let line = LineLogHandler.render(
            format: .json,
            timestamp: "2026-11-25T10:00:00.000Z",
            level: .error,
            label: "pds",
            message: "tab\there \u{1} \"q\" \\ ü",
            metadata: ["seq": .stringConvertible(42), "nested": .dictionary(["a": .array(["x", "y"])])],
            error: "boom"
        )
        #expect(line.hasSuffix("}\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "tab\there \u{1} \"q\" \\ ü")
        #expect(object["level"] as? String == "error")
        #expect(object["seq"] as? String == "42")
        #expect(object["error"] as? String == "boom")
        let nested = try #require(object["nested"] as? [String: Any])
        #expect(nested["a"] as? [String] == ["x", "y"])
    }

    @Test("encoders escape control characters and line separators")
    func encoders() throws {
        var logfmt: [UInt8] = []
        LineEncoder.appendLogfmtValue("a\u{1}b\u{7F}", to: &logfmt)
        #expect(String(decoding: logfmt, as: UTF8.self) == #""a\u{1}b\u{7f}""#)
        var plain: [UInt8] = []
        LineEncoder.appendLogfmtValue("did:plc:abc/ü", to: &plain)
        #expect(String(decoding: plain, as: UTF8.self) == "did:plc:abc/ü")
        var key: [UInt8] = []
        LineEncoder.appendLogfmtKey("a b=c", to: &key)
        #expect(String(decoding: key, as: UTF8.self) == "a_b_c")

        var json: [UInt8] = []
        LineEncoder.appendJSONString("x\u{2028}y\u{2029}z\u{0}€", to: &json)
        #expect(String(decoding: json, as: UTF8.self) == #""x\u2028y\u2029z\u0000€""#)
        let decoded = try JSONSerialization.jsonObject(with: Data(json), options: .fragmentsAllowed) as? String
        #expect(decoded == "x\u{2028}y\u{2029}z\u{0}€")

        var padded: [UInt8] = []
        LineEncoder.appendPadded(7, width: 3, to: &padded)
        LineEncoder.appendPadded(12345, width: 2, to: &padded)
        LineEncoder.appendPadded(0, width: 1, to: &padded)
        #expect(String(decoding: padded, as: UTF8.self) == "007123450")
    }

    @Test("timestamps are RFC 3339 UTC with milliseconds")
    func timestamp() {
        #expect(LogTimestamp.format(seconds: 0, milliseconds: 7) == "1970-01-01T00:00:00.007Z")
        #expect(LogTimestamp.format(seconds: 1_795_605_512, milliseconds: 511) == "2026-11-25T11:18:32.511Z")
        #expect(LogTimestamp.now().count == 24)
    }

    @Test("secrets never reach the output", arguments: LineLogHandler.Format.allCases)
    func redaction(format: LineLogHandler.Format) {
        let capture = LogCapture()
        var logger = capture.logger(format: format)
        logger[metadataKey: "session_token"] = .string("handler-level-token-value")
        logger.info("login", metadata: Self.secretMetadata)
        let text = capture.text
        for secret in Self.secrets + ["handler-level-token-value"] {
            #expect(!text.contains(secret), "\(secret) leaked in \(text)")
        }
        #expect(text.contains(LogRedaction.placeholder))
        #expect(text.contains("did:plc:abc"))
        #expect(text.contains("application/json"))
    }

    @Test("sensitive keys")
    func sensitiveKeys() {
        for key in ["password", "newPassword", "PASSWORD_HASH", "refreshJwt", "x-auth-token", "Authorization", "set-cookie", "jwtSecret", "client_secret"] {
            #expect(LogRedaction.isSensitive(key: key), "\(key)")
        }
        for key in ["did", "handle", "route", "request_id", "status", "seq"] {
            #expect(!LogRedaction.isSensitive(key: key), "\(key)")
        }
    }

    @Test("metadata precedence: event over provider over handler")
    func metadataMerge() {
        let capture = LogCapture()
        let sink = capture.sink
        let provider = Logger.MetadataProvider { ["request_id": "from-provider", "route": "from-provider"] }
        var logger = Logger(label: "t") { label in
            LineLogHandler(label: label, format: .logfmt, level: .info, sink: sink, metadataProvider: provider)
        }
        logger[metadataKey: "request_id"] = "from-handler"
        logger[metadataKey: "host"] = "h"
        logger.info("x", metadata: ["route": "from-event"])
        logger.debug("below level")
        #expect(capture.lines.count == 1)
        let line = capture.text
        #expect(line.contains("request_id=from-provider"))
        #expect(line.contains("route=from-event"))
        #expect(line.contains("host=h"))
    }

    @Test("every handler counts pds_log_messages_total by level", arguments: [LogFormat.logfmt, .json, .journald])
    func counting(format: LogFormat) {
        let metrics = TelemetryMetrics()
        let capture = LogCapture()
        // journald to a socket nobody listens on: entries fall back to the sink, and are still counted.
        let factory = LogSetup.makeHandlerFactory(
            format: format,
            level: .debug,
            metricsFactory: metrics.factory,
            environment: [:],
            sink: capture.sink,
            journalSocketPath: "/nonexistent/h1-journal.sock"
        )
        let logger = Logger(label: "count", factory: factory)
        logger.info("one")
        logger.info("two")
        logger.warning("three")
        logger.trace("below level")
        JournalSender.shared.flush()
        let exposition = Exposition(metrics.render())
        #expect(exposition.value("pds_log_messages_total", labels: #"level="info""#) == 2)
        #expect(exposition.value("pds_log_messages_total", labels: #"level="warning""#) == 1)
        #expect(exposition.value("pds_log_messages_total", labels: #"level="trace""#) == 0)
        #expect(capture.lines.count == 3)
        #expect(metrics.unknownMetricNames().isEmpty)
    }

    @Test("JOURNAL_STREAM must match stderr's device and inode")
    func journalStreamDetection() throws {
        var info = stat()
        #expect(fstat(2, &info) == 0)
        let matching = "\(info.st_dev):\(info.st_ino)"
        #expect(LogSetup.stderrIsJournal(environment: ["JOURNAL_STREAM": matching]))
        #expect(LogSetup.resolve(.auto, environment: ["JOURNAL_STREAM": matching]) == .journald)
        #expect(!LogSetup.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"]))
        #expect(!LogSetup.stderrIsJournal(environment: ["JOURNAL_STREAM": "garbage"]))
        #expect(!LogSetup.stderrIsJournal(environment: [:]))
        #expect(LogSetup.resolve(.auto, environment: [:]) == .logfmt)
        #expect(LogSetup.resolve(.json, environment: ["JOURNAL_STREAM": matching]) == .json)
        let parsed = LogSetup.parseJournalStream("8:12345")
        #expect(parsed?.device == 8 && parsed?.inode == 12345)
        #expect(LogSetup.parseJournalStream("8:") == nil)
    }
}
