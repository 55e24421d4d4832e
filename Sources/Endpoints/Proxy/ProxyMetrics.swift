import CoreMetrics
import Telemetry

/// `pds_proxy_requests_total{service,result}` and `pds_proxy_request_duration_seconds{service}`.
struct ProxyMetrics: Sendable {
    /// What came of a proxied call.
    enum Result: String, Sendable {
        /// The service answered 1xx-3xx.
        case ok
        /// The service answered 4xx (passed on to the caller).
        case clientError = "client_error"
        /// The service answered 5xx, or an answer too large to pass on.
        case upstreamError = "upstream_error"
        /// Connection refused or failed, DNS, TLS.
        case unreachable
        /// No complete answer within the time limit.
        case timeout
        /// Not sent: the `atproto-proxy` header named no usable service.
        case refused
    }

    /// Service labels: the well-known service ids of the `atproto-proxy` header, `appview` and `report` for the
    /// configured defaults; any other id is `other` (labels stay few whatever clients send).
    static let knownServiceIDs: Set<String> = ["bsky_appview", "bsky_chat", "atproto_labeler", "bsky_notif", "bsky_fg"]

    static func serviceLabel(_ serviceID: String) -> String {
        let id = String(serviceID.drop { $0 == "#" })
        return knownServiceIDs.contains(id) ? id : "other"
    }

    static let requests = "pds_proxy_requests_total"
    static let duration = "pds_proxy_request_duration_seconds"

    let factory: any MetricsFactory

    /// Records one call; `duration` (until the answer's head) is nil for calls never sent.
    func record(service: String, result: Result, duration: Duration?) {
        Counter(label: Self.requests, dimensions: [("service", service), ("result", result.rawValue)], factory: factory)
            .increment()
        if let duration {
            Timer(label: Self.duration, dimensions: [("service", service)], factory: factory)
                .recordNanoseconds(duration.nanoseconds)
        }
    }
}
