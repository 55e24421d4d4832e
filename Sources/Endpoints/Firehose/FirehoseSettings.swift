/// Tuning of the sequencer and of `com.atproto.sync.subscribeRepos`.
public struct FirehoseSettings: Sendable {
    /// Events kept in the log (`PDS_FIREHOSE_RETENTION_HOURS`, default 72 hours); older ones are trimmed and a
    /// cursor behind them gets `#info OutdatedCursor`.
    public var retention: Duration
    /// Live events a subscriber may have queued before it is dropped with `ConsumerTooSlow`
    /// (`PDS_FIREHOSE_OUTBOX_EVENTS`, default 1,000).
    public var outboxMaxEvents: Int
    /// Bytes a subscriber may have queued before it is dropped with `ConsumerTooSlow`.
    public var outboxMaxBytes: Int
    /// Events read from the database per query (sequencer and backfill).
    public var pageSize: Int
    /// The sequencer re-reads the log this often even without a commit notification.
    public var pollInterval: Duration
    /// A connection whose socket write has not finished for this long (a stalled or half-open peer) is closed.
    public var writeStallTimeout: Duration
    /// After `ConsumerTooSlow`, the connection is closed at the latest after this long even if the error frame
    /// could not be written.
    public var tooSlowGrace: Duration
    /// WebSocket ping period; a peer that does not answer a ping within a period is disconnected.
    public var pingInterval: Duration
    /// How often the retention job runs, and how many rows it deletes per transaction.
    public var trimInterval: Duration
    public var trimBatchSize: Int

    public init(
        retention: Duration = .seconds(72 * 3600),
        outboxMaxEvents: Int = FirehoseSettings.defaultOutboxEvents,
        outboxMaxBytes: Int = 64 * 1024 * 1024,
        pageSize: Int = 500,
        pollInterval: Duration = .milliseconds(250),
        writeStallTimeout: Duration = .seconds(60),
        tooSlowGrace: Duration = .seconds(5),
        pingInterval: Duration = .seconds(30),
        trimInterval: Duration = .seconds(60),
        trimBatchSize: Int = 1_000
    ) {
        self.retention = retention
        self.outboxMaxEvents = max(1, outboxMaxEvents)
        self.outboxMaxBytes = max(1, outboxMaxBytes)
        self.pageSize = max(1, pageSize)
        self.pollInterval = pollInterval
        self.writeStallTimeout = writeStallTimeout
        self.tooSlowGrace = tooSlowGrace
        self.pingInterval = pingInterval
        self.trimInterval = trimInterval
        self.trimBatchSize = max(1, trimBatchSize)
    }

    /// The default of ``outboxMaxEvents``.
    public static let defaultOutboxEvents = 1_000

    /// The WebSocket frame size limit of the upgrade (atproto's 5 MB frames).
    public static let maxFrameBytes = 5 * 1024 * 1024
}
