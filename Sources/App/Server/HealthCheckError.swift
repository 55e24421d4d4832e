/// Why a health check failed (its description becomes the reason in the log).
struct HealthCheckError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
