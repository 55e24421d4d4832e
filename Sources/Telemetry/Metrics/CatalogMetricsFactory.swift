import CoreMetrics
import Prometheus
import Synchronization

/// A swift-metrics factory over one `PrometheusCollectorRegistry` that takes HELP text, type and
/// buckets from ``MetricCatalog``.
///
/// swift-prometheus traps when one name is registered with two types, two help texts, two bucket
/// sets, or both with and without labels. This factory never lets that happen: a request that would
/// conflict gets a no-op handler and is recorded in ``violations`` instead, so a programming error
/// shows up in tests rather than as a crash in production.
final class CatalogMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    private let state: Mutex<State>

    /// What the factory has seen, kept so the registry can never be asked for a conflicting family.
    struct State: Sendable {
        /// Per name: the kind it was registered as and whether it carries labels.
        var families: [String: (kind: MetricKind, labeled: Bool)] = [:]
        var unknownNames: Set<String> = []
        var violations: Set<String> = []
    }

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.state = Mutex(State())
    }

    var unknownNames: [String] { state.withLock { $0.unknownNames.sorted() } }
    var violations: [String] { state.withLock { $0.violations.sorted() } }

    // MARK: Resolution

    /// Decides the help text, the label order and whether the request is allowed.
    private func resolve(
        name: String,
        dimensions: [(String, String)],
        requested: MetricKind
    ) -> (help: String, labels: [(String, String)], descriptor: MetricDescriptor?)? {
        let descriptor = MetricCatalog.descriptor(named: name)
        var labels = dimensions
        var problem: String?
        if let descriptor {
            if descriptor.kind != requested {
                problem = "\(name): declared as \(descriptor.kind.rawValue), used as \(requested.rawValue)"
            } else if Set(dimensions.map(\.0)) == Set(descriptor.labelNames), dimensions.count == descriptor.labelNames.count {
                // Same label set in catalog order, so `{a,b}` and `{b,a}` are one series.
                let order = Dictionary(uniqueKeysWithValues: descriptor.labelNames.enumerated().map { ($1, $0) })
                labels.sort { (order[$0.0] ?? 0) < (order[$1.0] ?? 0) }
            } else {
                let used = dimensions.map(\.0).joined(separator: ",")
                let declared = descriptor.labelNames.joined(separator: ",")
                state.withLock { _ = $0.violations.insert("\(name): labels [\(used)] differ from declared [\(declared)]") }
            }
        }
        if name.isEmpty { problem = "empty metric name" }
        let labeled = !labels.isEmpty
        let accepted: Bool = state.withLock { state in
            if descriptor == nil { state.unknownNames.insert(name) }
            if let problem {
                state.violations.insert(problem)
                return false
            }
            if let existing = state.families[name] {
                guard existing.kind == requested, existing.labeled == labeled else {
                    state.violations.insert(
                        "\(name): used as \(requested.rawValue)\(labeled ? " with" : " without") labels after \(existing.kind.rawValue)\(existing.labeled ? " with" : " without") labels"
                    )
                    return false
                }
                return true
            }
            state.families[name] = (requested, labeled)
            return true
        }
        guard accepted else { return nil }
        return (descriptor?.help ?? "", labels, descriptor)
    }

    private func histogram(label: String, dimensions: [(String, String)], defaultBuckets: [Double]) -> ValueHistogram? {
        guard let resolved = resolve(name: label, dimensions: dimensions, requested: .histogram) else { return nil }
        let buckets = resolved.descriptor?.buckets ?? defaultBuckets
        return registry.makeValueHistogram(descriptor: .named(label, help: resolved.help), labels: resolved.labels, buckets: buckets)
    }

    private static func defaultBuckets(for name: String) -> [Double] {
        if name.hasSuffix("_bytes") { return MetricCatalog.sizeBuckets }
        if name.hasSuffix("_seconds") { return MetricCatalog.durationBuckets }
        return MetricCatalog.countBuckets
    }

    // MARK: MetricsFactory

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let resolved = resolve(name: label, dimensions: dimensions, requested: .counter) else {
            return NoOpMetricHandler.instance
        }
        return CheckedCounterHandler(registry.makeCounter(descriptor: .named(label, help: resolved.help), labels: resolved.labels))
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        guard let resolved = resolve(name: label, dimensions: dimensions, requested: .counter) else {
            return NoOpMetricHandler.instance
        }
        return CheckedCounterHandler(registry.makeCounter(descriptor: .named(label, help: resolved.help), labels: resolved.labels))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard let resolved = resolve(name: label, dimensions: dimensions, requested: .gauge) else {
            return NoOpMetricHandler.instance
        }
        return registry.makeGauge(descriptor: .named(label, help: resolved.help), labels: resolved.labels)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        if aggregate {
            return histogram(label: label, dimensions: dimensions, defaultBuckets: Self.defaultBuckets(for: label))
                ?? NoOpMetricHandler.instance
        }
        guard let resolved = resolve(name: label, dimensions: dimensions, requested: .gauge) else {
            return NoOpMetricHandler.instance
        }
        return registry.makeGauge(descriptor: .named(label, help: resolved.help), labels: resolved.labels)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard let histogram = histogram(label: label, dimensions: dimensions, defaultBuckets: MetricCatalog.durationBuckets)
        else { return NoOpMetricHandler.instance }
        return SecondsTimerHandler(histogram)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let handler = handler as? CheckedCounterHandler { registry.unregisterCounter(handler.counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let handler = handler as? CheckedCounterHandler { registry.unregisterCounter(handler.counter) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        switch handler {
        case let gauge as Prometheus.Gauge: registry.unregisterGauge(gauge)
        case let histogram as ValueHistogram: registry.unregisterValueHistogram(histogram)
        default: break
        }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let handler = handler as? SecondsTimerHandler { registry.unregisterValueHistogram(handler.histogram) }
    }
}

// MARK: - Handlers

/// A counter that ignores negative increments instead of trapping in swift-prometheus.
final class CheckedCounterHandler: CounterHandler, FloatingPointCounterHandler {
    let counter: Prometheus.Counter

    init(_ counter: Prometheus.Counter) { self.counter = counter }

    func increment(by amount: Int64) {
        if amount > 0 { counter.increment(by: amount) }
    }

    func increment(by amount: Double) {
        if amount > 0, amount.isFinite { counter.increment(by: amount) }
    }

    func reset() { counter.reset() }
}

/// Records swift-metrics timer values into a seconds histogram, so one histogram family can be fed
/// both by `Timer` and by `Recorder` without a type conflict.
final class SecondsTimerHandler: TimerHandler {
    let histogram: ValueHistogram

    init(_ histogram: ValueHistogram) { self.histogram = histogram }

    func recordNanoseconds(_ duration: Int64) {
        histogram.record(Double(duration) / 1_000_000_000)
    }
}

/// Swallows updates to a metric the factory refused to register.
final class NoOpMetricHandler: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler, TimerHandler {
    static let instance = NoOpMetricHandler()

    func increment(by: Int64) {}
    func increment(by: Double) {}
    func reset() {}
    func set(_ value: Int64) {}
    func set(_ value: Double) {}
    func decrement(by: Double) {}
    func record(_ value: Int64) {}
    func record(_ value: Double) {}
    func recordNanoseconds(_ duration: Int64) {}
}

extension MetricNameDescriptor {
    /// A descriptor whose rendered name is exactly `name` (no namespace or unit parts).
    static func named(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
