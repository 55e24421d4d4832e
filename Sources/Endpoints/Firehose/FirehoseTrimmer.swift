import CoreMetrics
import Foundation
import Logging
import ServiceLifecycle
import Storage

/// The retention job: every ``FirehoseSettings/trimInterval`` it deletes events older than
/// ``FirehoseSettings/retention`` in batches of ``FirehoseSettings/trimBatchSize`` (one short transaction each,
/// so writers are never held up), and updates `pds_firehose_log_oldest_age_seconds`. The head seq is never
/// touched.
public struct FirehoseTrimmer: Service {
    let database: Storage.Database
    let settings: FirehoseSettings
    let oldestAge: Gauge
    let logger: Logger

    public init(
        database: Storage.Database, settings: FirehoseSettings, metricsFactory: any MetricsFactory,
        logger: Logger = Logger(label: "pds.firehose.trim")
    ) {
        self.database = database
        self.settings = settings
        self.oldestAge = Gauge(label: "pds_firehose_log_oldest_age_seconds", factory: metricsFactory)
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let deleted = try await trimOnce()
                    if deleted > 0 { logger.info("firehose log trimmed", metadata: ["deleted": "\(deleted)"]) }
                } catch {
                    logger.error("firehose trim failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: settings.trimInterval)
            }
        }
    }

    /// Deletes every event older than the retention, batch by batch; returns how many went.
    @discardableResult
    public func trimOnce(now: Date = Date()) async throws(StorageError) -> Int {
        let nowMicros = Int64((now.timeIntervalSince1970 * 1_000_000).rounded(.down))
        let retentionMicros = settings.retention.components.seconds * 1_000_000
            + settings.retention.components.attoseconds / 1_000_000_000_000
        let cutoff = nowMicros - retentionMicros
        var total = 0
        while !Task.isCancelled {
            let deleted = try await database.trimFirehose(beforeMicros: cutoff, batchSize: settings.trimBatchSize)
            total += deleted
            if deleted < settings.trimBatchSize { break }
            await Task.yield()
        }
        if let oldest = try await database.firehoseOldest() {
            oldestAge.record(Double(max(0, nowMicros - oldest.timeMicros)) / 1_000_000)
        } else {
            oldestAge.record(0)
        }
        return total
    }
}
