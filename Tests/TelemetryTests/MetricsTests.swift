import CoreMetrics
import Foundation
import Testing

@testable import Telemetry

@Suite("Metrics")
struct MetricsTests {
    /// Records one sample in every catalog family through the swift-metrics factory.
    static func touchEveryMetric(_ metrics: TelemetryMetrics) {
        let factory = metrics.factory
        for descriptor in MetricCatalog.all where !descriptor.name.hasPrefix("process_") && descriptor.name != "pds_build_info" {
            let dimensions = descriptor.labelNames.map { ($0, "test_\($0)") }
            switch descriptor.kind {
            case .counter:
                Counter(label: descriptor.name, dimensions: dimensions, factory: factory).increment()
            case .gauge:
                Gauge(label: descriptor.name, dimensions: dimensions, factory: factory).record(1)
            case .histogram:
                if descriptor.name.hasSuffix("_seconds") {
                    Timer(label: descriptor.name, dimensions: dimensions, factory: factory).recordMilliseconds(3)
                } else {
                    Recorder(label: descriptor.name, dimensions: dimensions, factory: factory).record(1234)
                }
            }
        }
        metrics.setBuildInfo(version: "1.2.3", revision: "abc123")
    }

    @Test("catalog: names unique, conventions followed")
    func catalogConventions() {
        var seen = Set<String>()
        for descriptor in MetricCatalog.all {
            #expect(seen.insert(descriptor.name).inserted, "duplicate \(descriptor.name)")
            #expect(descriptor.name.hasPrefix("pds_") || descriptor.name.hasPrefix("process_"))
            #expect(!descriptor.help.isEmpty, "no HELP for \(descriptor.name)")
            #expect((descriptor.kind == .counter) == descriptor.name.hasSuffix("_total"), "\(descriptor.name)")
            #expect((descriptor.kind == .histogram) == (descriptor.buckets != nil), "\(descriptor.name)")
            if let buckets = descriptor.buckets {
                #expect(buckets == buckets.sorted() && Set(buckets).count == buckets.count, "\(descriptor.name)")
            }
            #expect(!descriptor.labelNames.contains("le"))
            #expect(MetricCatalog.descriptor(named: descriptor.name) == descriptor)
        }
        #expect(MetricCatalog.descriptor(named: "pds_nope_total") == nil)
    }

    @Test("catalog has every metric issue 2 asks for")
    func catalogCoversIssue() throws {
        let required: [(String, MetricKind, [String])] = [
            ("pds_http_requests_total", .counter, ["method", "route", "code"]),
            ("pds_http_request_duration_seconds", .histogram, ["method", "route"]),
            ("pds_http_requests_in_flight", .gauge, []),
            ("pds_http_response_size_bytes", .histogram, []),
            ("pds_build_info", .gauge, ["version", "revision"]),
            ("process_cpu_seconds_total", .counter, []),
            ("process_resident_memory_bytes", .gauge, []),
            ("process_virtual_memory_bytes", .gauge, []),
            ("process_open_fds", .gauge, []),
            ("process_max_fds", .gauge, []),
            ("process_start_time_seconds", .gauge, []),
            ("process_threads", .gauge, []),
            ("pds_db_query_duration_seconds", .histogram, ["kind"]),
            ("pds_db_errors_total", .counter, ["kind"]),
            ("pds_sqlite_db_bytes", .gauge, []),
            ("pds_sqlite_wal_bytes", .gauge, []),
            ("pds_disk_free_bytes", .gauge, []),
            ("pds_log_messages_total", .counter, ["level"]),
            ("pds_healthcheck", .gauge, ["type", "name"]),
            ("pds_healthcheck_duration_seconds", .histogram, ["name"]),
            ("pds_watchdog_pings_total", .counter, []),
            ("pds_watchdog_pings_skipped_total", .counter, ["check"]),
        ]
        for (name, kind, labels) in required {
            let descriptor = try #require(MetricCatalog.descriptor(named: name), "\(name) missing")
            #expect(descriptor.kind == kind, "\(name)")
            #expect(descriptor.labelNames == labels, "\(name)")
        }
        let duration = try #require(MetricCatalog.descriptor(named: "pds_http_request_duration_seconds")?.buckets)
        #expect(duration.first == 0.0005 && duration.last == 10)
        let size = try #require(MetricCatalog.descriptor(named: "pds_http_response_size_bytes")?.buckets)
        #expect(size.first == 100 && size.last == 16_000_000)
    }

    @Test("render after touching every metric: HELP everywhere, +Inf, no duplicates, no unknown names")
    func renderIsWellFormed() throws {
        let metrics = TelemetryMetrics()
        Self.touchEveryMetric(metrics)
        // Touch some twice, with reordered labels, to prove the series stay single.
        Counter(label: "pds_http_requests_total", dimensions: [("code", "200"), ("route", "r"), ("method", "GET")], factory: metrics.factory).increment()
        Counter(label: "pds_http_requests_total", dimensions: [("method", "GET"), ("route", "r"), ("code", "200")], factory: metrics.factory).increment()
        let text = metrics.render()
        let exposition = Exposition(text)

        #expect(text.hasSuffix("\n"))
        #expect(exposition.problems.isEmpty, "\(exposition.problems)")
        #expect(exposition.duplicateSeries.isEmpty, "\(exposition.duplicateSeries)")
        #expect(exposition.histogramsMissingInf().isEmpty, "\(exposition.histogramsMissingInf())")
        #expect(metrics.unknownMetricNames().isEmpty)
        #expect(metrics.catalogViolations().isEmpty, "\(metrics.catalogViolations())")
        for descriptor in MetricCatalog.all {
            #expect(exposition.types[descriptor.name] == descriptor.kind.rawValue, "\(descriptor.name) not exported as \(descriptor.kind)")
            #expect(exposition.help[descriptor.name] == descriptor.help, "\(descriptor.name) HELP")
        }
        for name in exposition.types.keys {
            #expect(exposition.help[name] != nil, "family \(name) has no HELP")
        }
        for sample in exposition.samples {
            #expect(exposition.types[exposition.family(of: sample.name)] != nil, "sample \(sample.name) without TYPE")
        }
        #expect(exposition.value("pds_http_requests_total", labels: #"method="GET",route="r",code="200""#) == 2)
        #expect(exposition.value("pds_build_info", labels: #"version="1.2.3",revision="abc123""#) == 1)
        // Timer values are recorded in seconds: 3 ms lands in the 5 ms bucket, not the 2.5 ms one.
        let labels = #"method="test_method",route="test_route""#
        #expect(exposition.value("pds_http_request_duration_seconds_bucket", labels: labels + #",le="0.005""#) == 1)
        #expect(exposition.value("pds_http_request_duration_seconds_bucket", labels: labels + #",le="0.0025""#) == 0)
        #expect(exposition.value("pds_http_request_duration_seconds_bucket", labels: labels + #",le="+Inf""#) == 1)
    }

    @Test("render passes promtool check metrics")
    func promtoolAccepts() throws {
        guard let promtool = Subprocess.which(["/usr/bin/promtool", "/usr/local/bin/promtool"]) else {
            print("skipping promtool check: promtool is not installed (Debian package prometheus)")
            return
        }
        let metrics = TelemetryMetrics()
        Self.touchEveryMetric(metrics)
        let text = metrics.render()
        let result = try Subprocess.run(promtool, ["check", "metrics"], stdin: text)
        #expect(result.status == 0, "promtool: \(result.stdout) \(result.stderr)")
        #expect(result.stdout.isEmpty && result.stderr.isEmpty, "promtool: \(result.stdout) \(result.stderr)")
    }
}
