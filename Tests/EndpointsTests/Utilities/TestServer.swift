import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Telemetry

@testable import Endpoints

/// One application with its own metrics registry, health registry and log capture.
struct TestServer {
    let settings: ServerSettings
    let metrics: TelemetryMetrics
    let health: HealthRegistry
    let logs: LogCapture
    let logLevel: Logger.Level

    init(
        settings: ServerSettings = TestServer.defaultSettings(),
        logLevel: Logger.Level = .debug,
        configureHealth: (HealthRegistry) -> Void = { _ in }
    ) {
        self.settings = settings
        self.logLevel = logLevel
        self.metrics = TelemetryMetrics()
        self.health = HealthRegistry(metricsFactory: metrics.factory)
        self.logs = LogCapture()
        configureHealth(health)
    }

    static func defaultSettings() -> ServerSettings {
        ServerSettings(
            hostname: "pds.example.com",
            port: 0,
            version: "1.2.3",
            revision: "abc",
            maxRequestBodyBytes: 4096,
            gzipMinimumBytes: 1024,
            healthCacheTTL: .zero
        )
    }

    var dependencies: ServerDependencies {
        ServerDependencies(metrics: metrics, health: health, logger: logs.logger(level: logLevel))
    }

    func app(
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        extraRoutes: (XRPCRouter) -> Void = { _ in }
    ) -> some ApplicationProtocol {
        buildApplication(settings: settings, dependencies: dependencies, onServerRunning: onServerRunning, extraRoutes: extraRoutes)
    }

    /// Runs `test` against the application through HummingbirdTesting's router framework.
    func test<Value>(
        _ framework: TestingSetup = .router,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        extraRoutes: (XRPCRouter) -> Void = { _ in },
        _ test: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        try await app(onServerRunning: onServerRunning, extraRoutes: extraRoutes).test(framework, test)
    }

    /// The value of one series in the exposition text, e.g. `pds_http_requests_total{...}`.
    func sample(_ name: String, labels: [String: String] = [:]) -> Double? {
        MetricsText.value(in: metrics.render(), name: name, labels: labels)
    }
}

/// Tiny reader of Prometheus text exposition.
enum MetricsText {
    struct Series {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    static func series(in text: String) -> [Series] {
        var result: [Series] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let head = line[..<space]
            guard let value = Double(line[line.index(after: space)...]) else { continue }
            var labels: [String: String] = [:]
            var name = String(head)
            if let open = head.firstIndex(of: "{"), head.last == "}" {
                name = String(head[..<open])
                let inner = head[head.index(after: open)..<head.index(before: head.endIndex)]
                for pair in inner.split(separator: ",") {
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    guard kv.count == 2 else { continue }
                    labels[String(kv[0])] = String(kv[1].dropFirst().dropLast())
                }
            }
            result.append(Series(name: name, labels: labels, value: value))
        }
        return result
    }

    static func value(in text: String, name: String, labels: [String: String]) -> Double? {
        series(in: text).first { series in
            series.name == name && labels.allSatisfy { series.labels[$0.key] == $0.value }
        }?.value
    }
}
