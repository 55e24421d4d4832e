import CoreMetrics
import Telemetry

/// `pds_plc_requests_total{op,result}` and `pds_plc_request_duration_seconds{op}`.
struct PLCMetrics: Sendable {
    /// What the request was for: `submit` (POST an operation) or `read` (document, last operation).
    enum Operation: String, Sendable {
        case submit
        case read
    }

    /// What came of it: `ok`, `rejected` (4xx), `not_found` (404), `error` (unreachable, timeout, 5xx, or a
    /// malformed answer).
    enum Result: String, Sendable {
        case ok
        case rejected
        case notFound = "not_found"
        case error
    }

    static let requests = "pds_plc_requests_total"
    static let duration = "pds_plc_request_duration_seconds"

    let factory: any MetricsFactory

    /// Records one request (each attempt of a retried request counts on its own).
    func record(_ operation: Operation, _ result: Result, duration: Duration) {
        Counter(
            label: Self.requests, dimensions: [("op", operation.rawValue), ("result", result.rawValue)],
            factory: factory
        ).increment()
        Timer(label: Self.duration, dimensions: [("op", operation.rawValue)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }
}
