import CoreMetrics
import Logging

/// `pds_log_messages_total{level}`: one counter per level, created once and shared by handlers.
public final class LogMessageCounter: Sendable {
    private let counters: [Logger.Level: CoreMetrics.Counter]

    /// - Parameter metricsFactory: the factory to register with; `nil` uses the global `MetricsSystem`.
    public init(metricsFactory: (any MetricsFactory)?) {
        var counters: [Logger.Level: CoreMetrics.Counter] = [:]
        for level in Logger.Level.allCases {
            let dimensions = [("level", level.rawValue)]
            if let metricsFactory {
                counters[level] = Counter(label: "pds_log_messages_total", dimensions: dimensions, factory: metricsFactory)
            } else {
                counters[level] = Counter(label: "pds_log_messages_total", dimensions: dimensions)
            }
        }
        self.counters = counters
    }

    public func count(_ level: Logger.Level) {
        counters[level]?.increment()
    }
}
