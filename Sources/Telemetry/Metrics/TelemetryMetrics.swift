import CoreMetrics
import Prometheus
import Synchronization

/// Owns one Prometheus registry, the swift-metrics factory over it, the `process_*` collector and
/// `pds_build_info`. The server makes one and bootstraps `MetricsSystem` with ``factory``; tests make
/// one each and use `withMetricsFactory`.
public final class TelemetryMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let catalogFactory: CatalogMetricsFactory
    private let collectors = Mutex<[@Sendable () -> Void]>([])
    private let buildInfo = Mutex<Prometheus.Gauge?>(nil)
    /// Serialises process-metric updates and emission so two scrapes never interleave.
    private let renderLock = Mutex<ProcessFamilies?>(nil)

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        self.catalogFactory = CatalogMetricsFactory(registry: registry)
    }

    /// The swift-metrics factory: each metric gets its catalog HELP text and buckets.
    public var factory: any MetricsFactory { catalogFactory }

    /// Metric names used through ``factory`` that ``MetricCatalog`` does not declare (exported without HELP).
    public func unknownMetricNames() -> [String] { catalogFactory.unknownNames }

    /// Uses of ``factory`` that contradict ``MetricCatalog`` (wrong type, labels) and were dropped or kept with a warning.
    public func catalogViolations() -> [String] { catalogFactory.violations }

    /// Sets `pds_build_info{version,revision} 1`, replacing an earlier value.
    public func setBuildInfo(version: String, revision: String) {
        let help = Self.help("pds_build_info")
        buildInfo.withLock { current in
            if let current { registry.unregisterGauge(current) }
            let gauge = registry.makeGauge(
                descriptor: .named("pds_build_info", help: help),
                labels: [("version", version), ("revision", revision)]
            )
            gauge.set(to: 1.0)
            current = gauge
        }
    }

    /// Adds a closure run before each ``render()``, e.g. to refresh file sizes or disk free space.
    public func addCollector(_ c: @escaping @Sendable () -> Void) {
        collectors.withLock { $0.append(c) }
    }

    /// The full exposition text (format 0.0.4), including `process_*` and `pds_build_info`.
    public func render() -> String {
        String(decoding: renderBytes(), as: UTF8.self)
    }

    /// ``render()`` as UTF-8 bytes.
    public func renderBytes() -> [UInt8] {
        for collector in collectors.withLock({ $0 }) { collector() }
        let sample = ProcessMetrics.sample()
        return renderLock.withLock { families in
            if let sample {
                if families == nil { families = ProcessFamilies(registry: registry) }
                families?.update(sample)
            }
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16_384)
            registry.emit(into: &buffer)
            return buffer
        }
    }

    /// The Content-Type `/metrics` must be served with.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func help(_ name: String) -> String {
        MetricCatalog.descriptor(named: name)?.help ?? ""
    }
}

/// The registry objects behind the `process_*` families.
private struct ProcessFamilies {
    let cpu: Prometheus.Counter
    let resident: Prometheus.Gauge
    let virtual: Prometheus.Gauge
    let openFDs: Prometheus.Gauge
    let maxFDs: Prometheus.Gauge
    let startTime: Prometheus.Gauge
    let threads: Prometheus.Gauge

    init(registry: PrometheusCollectorRegistry) {
        func gauge(_ name: String) -> Prometheus.Gauge {
            registry.makeGauge(descriptor: .named(name, help: TelemetryMetrics.help(name)))
        }
        cpu = registry.makeCounter(
            descriptor: .named("process_cpu_seconds_total", help: TelemetryMetrics.help("process_cpu_seconds_total"))
        )
        resident = gauge("process_resident_memory_bytes")
        virtual = gauge("process_virtual_memory_bytes")
        openFDs = gauge("process_open_fds")
        maxFDs = gauge("process_max_fds")
        startTime = gauge("process_start_time_seconds")
        threads = gauge("process_threads")
    }

    func update(_ sample: ProcessMetricsSample) {
        cpu.reset()
        cpu.increment(by: sample.cpuSeconds)
        resident.set(to: sample.residentMemoryBytes)
        virtual.set(to: sample.virtualMemoryBytes)
        openFDs.set(to: sample.openFDs)
        maxFDs.set(to: sample.maxFDs)
        startTime.set(to: sample.startTimeSeconds)
        threads.set(to: sample.threads)
    }
}
