import Foundation
import Logging
import Storage
import Telemetry
import Testing

@testable import App

@Suite struct CheckpointServiceTests {
    @Test func checkpointsPeriodicallyTruncatingTheWALWhenIdle() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let metrics = TelemetryMetrics()
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let path = dir.url.appendingPathComponent("pds.sqlite").path
        let database = try await Storage.Database.open(path: path, metricsFactory: metrics.factory, logger: logger)
        defer { try? database.close() }
        try await database.migrate()
        try await database.setMeta("checkpoint_test", "1")
        let walSize = { (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)?.int64Value ?? -1 }
        #expect(walSize() > 0)

        let service = CheckpointService(database: database, interval: .milliseconds(20), logger: logger)
        let task = Task { try await service.run() }
        // Nothing is written meanwhile: after a passive run the next one truncates.
        var count = 0.0
        for _ in 0..<500 where !(count >= 3 && walSize() == 0) {
            try await Task.sleep(for: .milliseconds(20))
            count = LiveServer.sample(metrics.render(), #"pds_sqlite_checkpoint_duration_seconds_count{trigger="periodic"}"#) ?? 0
        }
        task.cancel()
        _ = try? await task.value
        #expect(count >= 3)
        #expect(walSize() == 0)
        #expect(metricsCatalogKnows(metrics))
    }

    func metricsCatalogKnows(_ metrics: TelemetryMetrics) -> Bool {
        metrics.unknownMetricNames().isEmpty && metrics.catalogViolations().isEmpty
    }
}
