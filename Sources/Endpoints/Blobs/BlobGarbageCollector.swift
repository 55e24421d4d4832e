import CoreMetrics
import Foundation
import Logging
import Storage

/// Deletes uploads no record referenced within the grace period (`PDS_BLOB_GC_GRACE_HOURS`, default 6), every
/// `interval`. ``run()`` loops until its task is cancelled (App runs it as a service-lifecycle service).
public struct BlobGarbageCollector: Sendable {
    public let store: any BlobStore
    public let grace: Duration
    public let interval: Duration
    let metrics: BlobMetrics
    let logger: Logger

    public init(
        store: any BlobStore, grace: Duration = .seconds(6 * 3600), interval: Duration = .seconds(600),
        metricsFactory: any MetricsFactory, logger: Logger
    ) {
        self.store = store
        self.grace = grace
        self.interval = interval
        self.metrics = BlobMetrics(factory: metricsFactory)
        self.logger = logger
    }

    /// One pass: deletes uploads older than the grace period as of `now`; returns how many.
    @discardableResult
    public func collect(now: Date = Date()) async throws(StorageError) -> Int {
        let cutoff = now.addingTimeInterval(-Double(grace.components.seconds))
        let deleted = try await store.collectGarbage(uploadedBefore: cutoff)
        metrics.garbageCollected(deleted)
        metrics.storeSize(store.storedBytes)
        if deleted > 0 { logger.info("deleted unreferenced blob uploads", metadata: ["count": "\(deleted)"]) }
        return deleted
    }

    /// Collects every `interval` until the task is cancelled (then returns normally).
    public func run() async {
        while !Task.isCancelled {
            do {
                try await collect()
            } catch {
                logger.error("blob garbage collection failed", metadata: ["error": "\(error)"])
            }
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }
}
