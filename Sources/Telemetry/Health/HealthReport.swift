/// The outcome of running every check of one kind (or one named check).
public struct HealthReport: Sendable, Equatable {
    /// True when every result passed (see ``HealthRegistry/run(_:only:)`` for the empty cases).
    public let ok: Bool
    public let results: [HealthCheckResult]

    public init(ok: Bool, results: [HealthCheckResult]) {
        self.ok = ok
        self.results = results
    }

    /// ok when every result passed.
    public init(results: [HealthCheckResult]) {
        self.init(ok: results.allSatisfy(\.ok), results: results)
    }

    /// The failed checks.
    public var failures: [HealthCheckResult] { results.filter { !$0.ok } }

    /// Kubernetes-style verbose body: `[+]name ok` / `[-]name failed` lines, then a summary line.
    /// Reasons are withheld (they belong in the log).
    public func verboseText(kind: HealthCheckKind) -> String {
        var lines = results.map { $0.ok ? "[+]\($0.name) ok" : "[-]\($0.name) failed: reason withheld" }
        lines.append(ok ? "\(kind.rawValue) check passed" : "\(kind.rawValue) check failed")
        return lines.joined(separator: "\n") + "\n"
    }
}
