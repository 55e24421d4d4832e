import CoreMetrics
import Foundation
import Logging
import Synchronization
import Testing

@testable import Telemetry

@Suite("Journald")
struct JournaldTests {
    @Test("field names: upper case, valid characters, no clash with standard fields")
    func fieldNames() {
        let cases: [(String, String?)] = [
            ("request_id", "REQUEST_ID"),
            ("did", "DID"),
            ("nsid", "NSID"),
            ("durationMs", "DURATIONMS"),
            ("duration_ms", "DURATION_MS"),
            ("http.method", "HTTP_METHOD"),
            ("x-request-id", "X_REQUEST_ID"),
            ("_trusted", "TRUSTED"),
            ("9lives", "F_9LIVES"),
            ("message", "PDS_MESSAGE"),
            ("priority", "PDS_PRIORITY"),
            ("code_line", "PDS_CODE_LINE"),
            ("message_id", "MESSAGE_ID"),
            ("ünï", "N_"),
            ("", nil),
            ("___", nil),
        ]
        for (key, expected) in cases {
            #expect(JournalFields.fieldName(forMetadataKey: key) == expected, "\(key)")
        }
        #expect(JournalFields.fieldName(forMetadataKey: String(repeating: "k", count: 100))?.count == 64)
    }

    @Test("priorities follow syslog")
    func priorities() {
        let expected: [Logger.Level: Int] = [.trace: 7, .debug: 7, .info: 6, .notice: 5, .warning: 4, .error: 3, .critical: 2]
        for (level, priority) in expected {
            #expect(JournalFields.priority(level) == priority)
        }
    }

    @Test("entry fields: standard fields first, metadata upper-cased and redacted")
    func entryFields() {
        let fields = JournalFields.fields(
            level: .warning,
            message: "slow commit",
            metadata: ["did": "did:plc:x", "seq": .stringConvertible(7), "password": "pw", "message": "m"],
            label: "pds.repo",
            identifier: "pds",
            file: "Storage/Repo.swift",
            function: "commit(_:)",
            line: 42,
            error: "disk full"
        )
        let names = fields.map(\.name)
        #expect(
            names == [
                "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "LOGGER", "ERROR",
                "DID", "PDS_MESSAGE", "PASSWORD", "SEQ",
            ]
        )
        let values = Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(values["PRIORITY"] == "4")
        #expect(values["CODE_LINE"] == "42")
        #expect(values["PASSWORD"] == LogRedaction.placeholder)
        #expect(values["SEQ"] == "7")
    }

    @Test("native encoding round-trips, newlines use the binary length form")
    func nativeEncoding() throws {
        let fields: [(name: String, value: String)] = [("MESSAGE", "line one\nline two"), ("PRIORITY", "6"), ("EMPTY", "")]
        let bytes = JournalFields.encodeNative(fields)
        var expected = Array("MESSAGE\n".utf8)
        expected += [17, 0, 0, 0, 0, 0, 0, 0]
        expected += Array("line one\nline two\nPRIORITY=6\nEMPTY=\n".utf8)
        #expect(bytes == expected)
        let decoded = try #require(JournalFields.decodeNative(bytes))
        #expect(decoded.map(\.name) == fields.map(\.name))
        #expect(decoded.map(\.value) == fields.map(\.value))
    }

    @Test("entries reach a real journald namespace with all fields")
    func integration() throws {
        if let reason = JournaldInstance.unavailableReason {
            print("skipping journald integration test: \(reason)")
            return
        }
        let journald = try JournaldInstance()
        defer { journald.stop() }
        let identifier = "pds-test-\(UInt32.random(in: 0...UInt32.max))"
        let fallback = LogCapture()
        let handlerSocket = journald.socketPath
        let logger = Logger(label: "pds.test") { label in
            JournaldLogHandler(
                label: label,
                socketPath: handlerSocket,
                level: .debug,
                identifier: identifier,
                counter: nil,
                fallback: fallback.sink
            )
        }
        let line: UInt = #line + 1
        logger.warning("commit slow", metadata: ["request_id": "req-1", "did": "did:plc:abc", "seq": .stringConvertible(12), "refreshJwt": "eyJ-secret"])
        logger.info("first line\nsecond line")
        let big = String(repeating: "x", count: 300_000)
        logger.debug("\(big)", metadata: ["size": "big"])
        JournalSender.shared.flush()

        let entries = try journald.entries(identifier: identifier)
        #expect(fallback.lines.isEmpty, "fell back: \(fallback.text)")
        try #require(entries.count == 3, "got \(entries.count) entries")

        let first = entries[0]
        #expect(first["MESSAGE"] as? String == "commit slow")
        #expect(first["PRIORITY"] as? String == "4")
        #expect(first["SYSLOG_IDENTIFIER"] as? String == identifier)
        #expect(first["CODE_FILE"] as? String == #fileID)
        #expect(first["CODE_LINE"] as? String == "\(line)")
        #expect(first["CODE_FUNC"] as? String == "integration()")
        #expect(first["LOGGER"] as? String == "pds.test")
        #expect(first["REQUEST_ID"] as? String == "req-1")
        #expect(first["DID"] as? String == "did:plc:abc")
        #expect(first["SEQ"] as? String == "12")
        #expect(first["REFRESHJWT"] as? String == LogRedaction.placeholder)
        #expect(first["_TRANSPORT"] as? String == "journal")

        #expect(entries[1]["MESSAGE"] as? String == "first line\nsecond line")
        #expect(entries[1]["PRIORITY"] as? String == "6")
        // 300 KB does not fit a datagram: it went through the memfd path.
        #expect((entries[2]["MESSAGE"] as? String)?.count == big.count)
        #expect(entries[2]["SIZE"] as? String == "big")
        #expect(entries[2]["PRIORITY"] as? String == "7")

        // LogSetup picks the same socket from PDS_JOURNAL_SOCKET, with the default identifier "pds".
        let metrics = TelemetryMetrics()
        let factory = LogSetup.makeHandlerFactory(
            format: .journald,
            level: .info,
            metricsFactory: metrics.factory,
            environment: [LogSetup.journalSocketVariable: journald.socketPath],
            sink: fallback.sink
        )
        Logger(label: "pds.setup", factory: factory).notice("through LogSetup", metadata: ["nsid": "com.atproto.sync.getRepo"])
        JournalSender.shared.flush()
        let setupEntries = try journald.entries(identifier: "pds")
        try #require(setupEntries.count == 1, "got \(setupEntries.count) entries")
        #expect(setupEntries[0]["MESSAGE"] as? String == "through LogSetup")
        #expect(setupEntries[0]["PRIORITY"] as? String == "5")
        #expect(setupEntries[0]["NSID"] as? String == "com.atproto.sync.getRepo")
        #expect(Exposition(metrics.render()).value("pds_log_messages_total", labels: #"level="notice""#) == 1)
        #expect(fallback.lines.isEmpty)
    }

    @Test("journald without a journal socket falls back to logfmt on stderr")
    func noJournalSocket() {
        guard access(LogSetup.defaultJournalSocket, F_OK) != 0 else {
            print("skipping: \(LogSetup.defaultJournalSocket) exists on this machine")
            return
        }
        let capture = LogCapture()
        let factory = LogSetup.makeHandlerFactory(format: .journald, level: .info, metricsFactory: nil, environment: [:], sink: capture.sink)
        Logger(label: "x", factory: factory).info("hello")
        #expect(capture.text.contains("msg=hello"))
    }

    @Test("entries are sent in order on the sender's thread; a full queue drops and counts")
    func senderQueue() {
        let sender = JournalSender(capacity: 3)
        let metrics = TelemetryMetrics()
        sender.countDrops(in: Counter(label: "pds_log_lines_dropped_total", factory: metrics.factory))
        let gate = DispatchSemaphore(value: 0)
        let sent = Mutex<[Int]>([])
        // The first entry blocks the sender (a journald that is behind); the caller never waits.
        #expect(sender.submit { gate.wait(); sent.withLock { $0.append(0) } })
        #expect(sender.submit { sent.withLock { $0.append(1) } })
        #expect(sender.submit { sent.withLock { $0.append(2) } })
        #expect(!sender.submit { sent.withLock { $0.append(3) } })
        #expect(sender.droppedEntries == 1)
        #expect(Exposition(metrics.render()).value("pds_log_lines_dropped_total") == 1)
        gate.signal()
        sender.flush()
        #expect(sent.withLock { $0 } == [0, 1, 2])
        #expect(sender.submit { sent.withLock { $0.append(4) } })
        sender.flush()
        #expect(sent.withLock { $0 } == [0, 1, 2, 4])
    }

    @Test("a dead journald socket falls back to a logfmt line")
    func fallback() {
        let capture = LogCapture()
        let sink = capture.sink
        let logger = Logger(label: "x") { label in
            JournaldLogHandler(label: label, socketPath: "/nonexistent/journal.sock", level: .info, counter: nil, fallback: sink)
        }
        logger.error("lost?", metadata: ["token": "t0ken"])
        JournalSender.shared.flush()
        #expect(capture.lines.count == 1)
        #expect(capture.text.contains("level=error"))
        #expect(capture.text.contains("msg=lost?"))
        #expect(!capture.text.contains("t0ken"))
    }
}
