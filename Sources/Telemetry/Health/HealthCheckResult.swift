/// The outcome of one health check run.
public struct HealthCheckResult: Sendable, Equatable {
    public let name: String
    public let ok: Bool
    /// Why the check failed (`nil` when it passed). For logs only: never send it to anonymous clients.
    public let reason: String?
    /// Seconds the check took.
    public let duration: Double

    public init(name: String, ok: Bool, reason: String?, duration: Double) {
        self.name = name
        self.ok = ok
        self.reason = reason
        self.duration = duration
    }
}
