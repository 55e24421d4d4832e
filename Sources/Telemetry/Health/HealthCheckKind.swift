/// Which endpoint a health check belongs to.
public enum HealthCheckKind: String, Sendable, CaseIterable {
    /// `/livez`: things a restart would fix. These gate the systemd watchdog.
    case liveness = "livez"
    /// `/readyz`: everything needed to serve traffic, including dependencies.
    case readiness = "readyz"
}
