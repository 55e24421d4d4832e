import CoreMetrics
import Testing

@testable import Telemetry

@Suite("Catalog factory")
struct FactoryTests {
    @Test("a metric used with the wrong type is dropped and reported, not a crash")
    func wrongType() {
        let metrics = TelemetryMetrics()
        Gauge(label: "pds_http_requests_in_flight", factory: metrics.factory).record(3)
        // Declared as a gauge: a counter of the same name would trap inside swift-prometheus.
        Counter(label: "pds_http_requests_in_flight", factory: metrics.factory).increment()
        let exposition = Exposition(metrics.render())
        #expect(exposition.value("pds_http_requests_in_flight") == 3)
        #expect(metrics.catalogViolations() == ["pds_http_requests_in_flight: declared as gauge, used as counter"])
    }

    @Test("labeled and unlabeled uses of one unknown name do not crash")
    func labeledConflict() {
        let metrics = TelemetryMetrics()
        Counter(label: "pds_unlisted_total", factory: metrics.factory).increment()
        Counter(label: "pds_unlisted_total", dimensions: [("a", "b")], factory: metrics.factory).increment()
        #expect(metrics.unknownMetricNames() == ["pds_unlisted_total"])
        #expect(metrics.catalogViolations().count == 1)
        let exposition = Exposition(metrics.render())
        #expect(exposition.value("pds_unlisted_total") == 1)
        #expect(exposition.help["pds_unlisted_total"] == nil)
    }

    @Test("labels other than the declared ones are kept but reported")
    func undeclaredLabels() {
        let metrics = TelemetryMetrics()
        Counter(label: "pds_db_errors_total", dimensions: [("kind", "busy"), ("table", "x")], factory: metrics.factory).increment()
        #expect(metrics.catalogViolations() == ["pds_db_errors_total: labels [kind,table] differ from declared [kind]"])
        #expect(Exposition(metrics.render()).value("pds_db_errors_total", labels: #"kind="busy",table="x""#) == 1)
    }

    @Test("Timer and Recorder feed the same seconds histogram; negative counter increments are ignored")
    func histogramSharing() {
        let metrics = TelemetryMetrics()
        Timer(label: "pds_db_query_duration_seconds", dimensions: [("kind", "read")], factory: metrics.factory)
            .recordMilliseconds(20)
        Recorder(label: "pds_db_query_duration_seconds", dimensions: [("kind", "read")], factory: metrics.factory)
            .record(0.2)
        let counter = Counter(label: "pds_repo_commits_total", factory: metrics.factory)
        counter.increment(by: 2)
        counter.increment(by: -5)
        let exposition = Exposition(metrics.render())
        #expect(exposition.value("pds_db_query_duration_seconds_count", labels: #"kind="read""#) == 2)
        #expect(exposition.value("pds_db_query_duration_seconds_bucket", labels: #"kind="read",le="0.025""#) == 1)
        #expect(exposition.value("pds_db_query_duration_seconds_bucket", labels: #"kind="read",le="0.25""#) == 2)
        #expect(exposition.value("pds_repo_commits_total") == 2)
        #expect(metrics.catalogViolations().isEmpty)
    }

    @Test("label values with quotes, backslashes and newlines stay valid for promtool")
    func escaping() throws {
        let metrics = TelemetryMetrics()
        Counter(label: "pds_db_errors_total", dimensions: [("kind", "we\"ird\\\nvalue")], factory: metrics.factory).increment()
        let text = metrics.render()
        #expect(text.contains(#"kind="we\"ird\\\nvalue""#))
        guard let promtool = Subprocess.which(["/usr/bin/promtool", "/usr/local/bin/promtool"]) else {
            print("skipping promtool check: promtool is not installed (Debian package prometheus)")
            return
        }
        let result = try Subprocess.run(promtool, ["check", "metrics"], stdin: text)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test("build info replaces its earlier value; collectors run before each render")
    func buildInfoAndCollectors() {
        let metrics = TelemetryMetrics()
        metrics.setBuildInfo(version: "0.1.0", revision: "aaa")
        metrics.setBuildInfo(version: "0.2.0", revision: "bbb")
        let runs = LockedBox(0)
        let size = Gauge(label: "pds_sqlite_db_bytes", factory: metrics.factory)
        metrics.addCollector {
            runs.mutate { $0 += 1 }
            size.record(4096 * runs.value)
        }
        _ = metrics.render()
        let exposition = Exposition(metrics.render())
        #expect(runs.value == 2)
        #expect(exposition.value("pds_sqlite_db_bytes") == 8192)
        #expect(exposition.samples.filter { $0.name == "pds_build_info" }.count == 1)
        #expect(exposition.value("pds_build_info", labels: #"version="0.2.0",revision="bbb""#) == 1)
        #expect(TelemetryMetrics.contentType == "text/plain; version=0.0.4; charset=utf-8")
    }
}
