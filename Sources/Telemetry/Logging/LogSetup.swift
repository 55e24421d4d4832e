import CoreMetrics
import Foundation
import Logging

/// Chooses and builds the process's log handler.
public enum LogSetup {
    /// Picks the handler: journald when format == .journald, or .auto and JOURNAL_STREAM matches stderr's dev:inode; else logfmt/json on stderr.
    /// When journald is chosen but its socket (``defaultJournalSocket``) is missing, logfmt on stderr is used instead.
    public static func makeHandlerFactory(
        format: LogFormat,
        level: Logger.Level,
        metricsFactory: (any MetricsFactory)?
    ) -> @Sendable (String) -> any LogHandler {
        makeHandlerFactory(
            format: format,
            level: level,
            metricsFactory: metricsFactory,
            environment: ProcessInfo.processInfo.environment
        )
    }

    /// The same, with the environment, the line sink and the journald socket injectable (tests).
    /// Without `journalSocketPath`, `PDS_JOURNAL_SOCKET` from the environment names a journald socket to
    /// use with the native protocol (e.g. `/run/systemd/journal.NAMESPACE/socket`); otherwise entries go
    /// through libsystemd to the system journal.
    public static func makeHandlerFactory(
        format: LogFormat,
        level: Logger.Level,
        metricsFactory: (any MetricsFactory)?,
        environment: [String: String],
        sink: LogSink = .standardError,
        journalSocketPath: String? = nil
    ) -> @Sendable (String) -> any LogHandler {
        let counter = LogMessageCounter(metricsFactory: metricsFactory)
        let dropped = metricsFactory.map { Counter(label: droppedLinesMetric, factory: $0) } ?? Counter(label: droppedLinesMetric)
        sink.writer?.countDrops(in: dropped)
        JournalSender.shared.countDrops(in: dropped)
        let journalSocketPath = journalSocketPath ?? environment[journalSocketVariable].flatMap { $0.isEmpty ? nil : $0 }
        var resolved = resolve(format, environment: environment)
        // sd_journal_sendv reports success even when no journald listens, so check for the socket
        // once here rather than losing every entry.
        if resolved == .journald, journalSocketPath == nil, access(defaultJournalSocket, W_OK) != 0 {
            resolved = .logfmt
        }
        switch resolved {
        case .journald:
            return { label in
                JournaldLogHandler(
                    label: label,
                    socketPath: journalSocketPath,
                    level: level,
                    counter: counter,
                    fallback: sink
                )
            }
        case .json:
            return { label in LineLogHandler(label: label, format: .json, level: level, sink: sink, counter: counter) }
        case .logfmt, .auto:
            return { label in LineLogHandler(label: label, format: .logfmt, level: level, sink: sink, counter: counter) }
        }
    }

    /// Waits until the log lines and journald entries emitted so far are written (the stderr writer's thread and the
    /// journal sender's): before the process exits.
    public static func flush() {
        LogSink.standardError.flush()
        JournalSender.shared.flush()
    }

    /// Lines the stderr writer dropped because its buffer was full, and journald entries the journal sender
    /// dropped because its queue was full.
    static let droppedLinesMetric = "pds_log_lines_dropped_total"

    /// Environment variable naming an explicit journald socket.
    public static let journalSocketVariable = "PDS_JOURNAL_SOCKET"

    /// Where libsystemd sends journal entries.
    public static let defaultJournalSocket = "/run/systemd/journal/socket"

    /// Resolves `.auto` to `.journald` or `.logfmt`; other formats are returned as given.
    public static func resolve(_ format: LogFormat, environment: [String: String]) -> LogFormat {
        guard format == .auto else { return format }
        return stderrIsJournal(environment: environment) ? .journald : .logfmt
    }

    /// True when `JOURNAL_STREAM` (`<device>:<inode>`, set by systemd) names the file stderr is
    /// connected to. A child that inherited the variable but has its stderr redirected gets false.
    public static func stderrIsJournal(environment: [String: String]) -> Bool {
        guard let value = environment["JOURNAL_STREAM"], let identity = parseJournalStream(value) else { return false }
        var info = stat()
        guard fstat(2, &info) == 0 else { return false }
        return UInt64(info.st_dev) == identity.device && UInt64(info.st_ino) == identity.inode
    }

    static func parseJournalStream(_ value: String) -> (device: UInt64, inode: UInt64)? {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return nil }
        return (device, inode)
    }
}
