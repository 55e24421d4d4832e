import CoreMetrics
import HTTPTypes
import Synchronization

/// The request metrics, with handles cached per label set.
///
/// Labels are bounded: `method` is a standard HTTP method or `other`, `route` an NSID or route
/// template the server registered (or `other`), `code` the status code.
final class HTTPMetrics: Sendable {
    static let requestsTotal = "pds_http_requests_total"
    static let requestDuration = "pds_http_request_duration_seconds"
    static let requestsInFlight = "pds_http_requests_in_flight"
    static let responseSize = "pds_http_response_size_bytes"

    private struct CounterKey: Hashable {
        let method: String
        let route: String
        let code: Int
    }

    private struct TimerKey: Hashable {
        let method: String
        let route: String
    }

    private let factory: any MetricsFactory
    let inFlight: Meter
    let responseSize: Recorder
    private let counters = Mutex<[CounterKey: Counter]>([:])
    private let timers = Mutex<[TimerKey: Timer]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
        self.inFlight = Meter(label: Self.requestsInFlight, dimensions: [], factory: factory)
        self.responseSize = Recorder(label: Self.responseSize, dimensions: [], aggregate: true, factory: factory)
        // Create the gauge's series up front so /metrics shows 0 before the first request.
        self.inFlight.set(0)
    }

    func record(method: HTTPRequest.Method, route: String, status: HTTPResponse.Status, durationNanoseconds: Int64, responseBytes: Int) {
        let methodLabel = Self.methodLabel(method)
        counter(CounterKey(method: methodLabel, route: route, code: status.code)).increment()
        timer(TimerKey(method: methodLabel, route: route)).recordNanoseconds(durationNanoseconds)
        responseSize.record(responseBytes)
    }

    private func counter(_ key: CounterKey) -> Counter {
        counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = Counter(
                label: Self.requestsTotal,
                dimensions: [("method", key.method), ("route", key.route), ("code", String(key.code))],
                factory: factory
            )
            cache[key] = counter
            return counter
        }
    }

    private func timer(_ key: TimerKey) -> Timer {
        timers.withLock { cache in
            if let timer = cache[key] { return timer }
            let timer = Timer(
                label: Self.requestDuration,
                dimensions: [("method", key.method), ("route", key.route)],
                factory: factory
            )
            cache[key] = timer
            return timer
        }
    }

    /// Standard methods keep their name; anything else is `other` so clients cannot mint series.
    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .head, .post, .put, .delete, .patch, .options, .connect, .trace:
            return method.rawValue
        default:
            return "other"
        }
    }
}
