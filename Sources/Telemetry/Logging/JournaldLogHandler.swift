import Logging

/// A swift-log handler writing native journald entries (see ``JournalFields`` for the mapping).
///
/// With `socketPath == nil` entries go through libsystemd's `sd_journal_sendv` to the system journal;
/// with a path they are sent with the native protocol to that socket (tests use a namespaced
/// journald). Entries are sent by ``JournalSender/shared`` on its own thread, in order, so logging never waits
/// for journald. When delivery fails the event is written as a logfmt line to the fallback sink, so nothing is
/// lost silently.
public struct JournaldLogHandler: LogHandler {
    public let label: String
    public let identifier: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let transport: JournalTransport
    private let counter: LogMessageCounter?
    private let fallback: LogSink
    private let sender: JournalSender

    public init(label: String, socketPath: String? = nil) {
        self.init(label: label, socketPath: socketPath, level: .info, counter: nil)
    }

    public init(
        label: String,
        socketPath: String?,
        level: Logger.Level,
        identifier: String = "pds",
        counter: LogMessageCounter?,
        fallback: LogSink = .standardError,
        metadataProvider: Logger.MetadataProvider? = nil,
        sender: JournalSender = .shared
    ) {
        self.sender = sender
        self.label = label
        self.identifier = identifier
        self.logLevel = level
        self.transport = JournalTransport.forSocket(socketPath)
        self.counter = counter
        self.fallback = fallback
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        counter?.count(event.level)
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let eventMetadata = event.metadata {
            merged.merge(eventMetadata) { _, new in new }
        }
        let message = event.message.description
        let error = event.error.map { String(describing: $0) }
        let fields = JournalFields.fields(
            level: event.level,
            message: message,
            metadata: merged,
            label: label,
            identifier: identifier,
            file: event.file,
            function: event.function,
            line: event.line,
            error: error
        )
        let (transport, fallback, label, level, metadata) = (transport, fallback, label, event.level, merged)
        sender.submit {
            guard transport.send(fields) != 0 else { return }
            let line = LineLogHandler.render(
                format: .logfmt,
                timestamp: LogTimestamp.now(),
                level: level,
                label: label,
                message: message,
                metadata: LogRedaction.redact(metadata),
                error: error
            )
            fallback.write(Array(line.utf8))
        }
    }
}
