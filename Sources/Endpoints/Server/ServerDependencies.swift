import Logging
import Telemetry

/// The shared services the HTTP layer uses. Tests make their own per test.
public struct ServerDependencies: Sendable {
    public var metrics: TelemetryMetrics
    public var health: HealthRegistry
    /// Logger for the server and every request; each request adds `request_id` to its metadata.
    public var logger: Logger
    /// Accounts, repositories and auth. Nil serves only the plumbing routes (the account and repository methods
    /// are registered when it is set).
    public var services: PDSServices?

    public init(metrics: TelemetryMetrics, health: HealthRegistry, logger: Logger, services: PDSServices? = nil) {
        self.metrics = metrics
        self.health = health
        self.logger = logger
        self.services = services
    }
}
