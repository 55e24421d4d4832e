import CoreMetrics
import Synchronization
import Telemetry

/// Per-kind database metrics: `pds_db_query_duration_seconds{kind}` and `pds_db_errors_total{kind}`,
/// the file-size gauges `pds_sqlite_db_bytes` and `pds_sqlite_wal_bytes`,
/// `pds_sqlite_checkpoint_duration_seconds`, and the firehose log's write metrics
/// (`pds_sequencer_write_duration_seconds`, `pds_firehose_frame_size_bytes`).
///
/// Metric objects are created once per kind and cached; `kind` must come from a small fixed set of
/// literals chosen by the caller (e.g. `"migrate"`, `"health"`, `"createRecord"`), never from input.
final class DatabaseMetrics: Sendable {
    static let queryDuration = "pds_db_query_duration_seconds"
    static let errors = "pds_db_errors_total"
    static let databaseBytes = "pds_sqlite_db_bytes"
    static let walBytes = "pds_sqlite_wal_bytes"
    static let checkpointSeconds = "pds_sqlite_checkpoint_duration_seconds"

    private struct KindMetrics: @unchecked Sendable {
        // swift-metrics' Timer and Counter are thread-safe reference types that predate Sendable.
        let duration: Timer
        let errors: Counter
    }

    /// Where these metrics go; other Storage metrics (``CommitQueue``) use it too.
    let factory: any MetricsFactory
    private let kinds = Mutex<[String: KindMetrics]>([:])
    let databaseSize: Gauge
    let walSize: Gauge
    /// `pds_sqlite_checkpoint_duration_seconds{trigger}`, one timer per trigger.
    private let checkpointDurations: [CheckpointTrigger: Timer]
    /// `pds_sequencer_write_duration_seconds`: encoding and inserting one batch of firehose events.
    let firehoseWrite: Timer
    /// `pds_firehose_frame_size_bytes`: each firehose frame as stored (and later sent unchanged).
    let firehoseFrameSize: Recorder

    init(factory: any MetricsFactory) {
        self.factory = factory
        self.databaseSize = Gauge(label: Self.databaseBytes, factory: factory)
        self.walSize = Gauge(label: Self.walBytes, factory: factory)
        var checkpointDurations: [CheckpointTrigger: Timer] = [:]
        for trigger in CheckpointTrigger.allCases {
            checkpointDurations[trigger] = Timer(
                label: Self.checkpointSeconds, dimensions: [("trigger", trigger.rawValue)], factory: factory)
        }
        self.checkpointDurations = checkpointDurations
        self.firehoseWrite = Timer(label: "pds_sequencer_write_duration_seconds", factory: factory)
        self.firehoseFrameSize = Recorder(label: "pds_firehose_frame_size_bytes", aggregate: true, factory: factory)
    }

    /// What started a WAL checkpoint (the `trigger` label).
    enum CheckpointTrigger: String, CaseIterable, Sendable {
        /// The WAL grew past its threshold: a checkpoint on the checkpointer's own connection, beside the writer.
        case background
        /// The short checkpoint each commit runs after a background one, until the WAL starts over.
        case catchUp = "catchup"
        /// The checkpoint service's periodic run (and any other explicit call).
        case periodic
    }

    func recordCheckpoint(trigger: CheckpointTrigger, duration: Duration) {
        checkpointDurations[trigger]?.recordNanoseconds(duration.nanoseconds)
    }

    func recordFirehoseWrite(_ duration: Duration) {
        firehoseWrite.recordNanoseconds(duration.nanoseconds)
    }

    private func metrics(for kind: String) -> KindMetrics {
        kinds.withLock { cache in
            if let existing = cache[kind] { return existing }
            let created = KindMetrics(
                duration: Timer(label: Self.queryDuration, dimensions: [("kind", kind)], factory: factory),
                errors: Counter(label: Self.errors, dimensions: [("kind", kind)], factory: factory))
            cache[kind] = created
            return created
        }
    }

    func record(kind: String, duration: Duration, failed: Bool) {
        let metrics = metrics(for: kind)
        metrics.duration.recordNanoseconds(duration.nanoseconds)
        if failed {
            metrics.errors.increment()
        }
    }
}
