import CoreMetrics

/// The sequencer's and firehose's metrics (declared in `MetricCatalog`).
struct FirehoseMetrics: Sendable {
    let factory: any MetricsFactory
    let headSeq: Gauge
    let subscribers: Gauge
    let bytesSent: Counter
    let lag: Recorder
    /// `pds_firehose_subscriber_queue_events`: outbox depth when a connection takes a batch to send.
    let queueDepth: Recorder
    let oldestAge: Gauge
    private let framesByKind: [String: Counter]
    private let sequencedByKind: [String: Counter]

    init(factory: any MetricsFactory) {
        self.factory = factory
        headSeq = Gauge(label: "pds_sequencer_head_seq", factory: factory)
        subscribers = Gauge(label: "pds_firehose_subscribers", factory: factory)
        bytesSent = Counter(label: "pds_firehose_bytes_sent_total", factory: factory)
        lag = Recorder(label: "pds_firehose_subscriber_lag_events", aggregate: true, factory: factory)
        queueDepth = Recorder(label: "pds_firehose_subscriber_queue_events", aggregate: true, factory: factory)
        oldestAge = Gauge(label: "pds_firehose_log_oldest_age_seconds", factory: factory)
        framesByKind = Dictionary(uniqueKeysWithValues: Self.frameKinds.map {
            ($0, Counter(label: "pds_firehose_frames_sent_total", dimensions: [("type", $0)], factory: factory))
        })
        sequencedByKind = Dictionary(uniqueKeysWithValues: Self.eventKinds.map {
            ($0, Counter(label: "pds_sequencer_events_total", dimensions: [("type", $0)], factory: factory))
        })
    }

    static let eventKinds = ["commit", "sync", "identity", "account"]
    static let frameKinds = eventKinds + ["info", "error"]

    func sequenced(kind: String, count: Int = 1) {
        (sequencedByKind[kind] ?? Counter(label: "pds_sequencer_events_total", dimensions: [("type", kind)], factory: factory))
            .increment(by: count)
    }

    func connection(_ result: String) {
        Counter(label: "pds_firehose_connections_total", dimensions: [("result", result)], factory: factory).increment()
    }

    func disconnect(_ reason: FirehoseDisconnect) {
        Counter(label: "pds_firehose_disconnects_total", dimensions: [("reason", reason.rawValue)], factory: factory).increment()
    }

    func framesSent(type: String, count: Int = 1) {
        (framesByKind[type] ?? Counter(label: "pds_firehose_frames_sent_total", dimensions: [("type", type)], factory: factory))
            .increment(by: count)
    }

    /// A subscriber dropped because its outbox would have passed a bound.
    func outboxDropped(_ overflow: FirehoseOutbox.Overflow) {
        Counter(label: "pds_firehose_outbox_dropped_total", dimensions: [("reason", overflow.rawValue)], factory: factory).increment()
    }

    func backfill(_ result: String) {
        Counter(label: "pds_firehose_backfill_requests_total", dimensions: [("result", result)], factory: factory).increment()
    }
}

/// Why a subscribeRepos connection ended (the `reason` label of `pds_firehose_disconnects_total`).
public enum FirehoseDisconnect: String, Sendable {
    case clientClosed = "client_closed"
    case consumerTooSlow = "slow_consumer"
    case futureCursor = "future_cursor"
    case invalidRequest = "invalid_request"
    case stalled
    case error
    case shutdown
}
