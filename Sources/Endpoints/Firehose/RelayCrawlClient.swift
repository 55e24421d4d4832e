import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Telemetry

/// Asks a relay to crawl this PDS: `POST <relay>/xrpc/com.atproto.sync.requestCrawl` with
/// `{"hostname": <our hostname>}`; the relay then subscribes to our `subscribeRepos`.
///
/// Every attempt has a timeout; connection failures, timeouts, 429 and 5xx answers are retried with
/// exponential backoff (asking twice is harmless). Other 4xx answers are final (`rejected`). Each call ends in
/// one `pds_crawl_requests_total{host,result}` and one log line (host, result, status, attempts, duration).
public struct RelayCrawlClient: Sendable {
    public struct Settings: Sendable {
        /// The host name relays are asked to crawl (`PDS_HOSTNAME`).
        public var hostname: String
        /// Time limit of one attempt.
        public var timeout: Duration
        /// Attempts per request (1 = no retry).
        public var maxAttempts: Int
        /// Wait before the first retry; doubled before each further one.
        public var initialBackoff: Duration
        /// Largest answer read, in bytes (only its error message is used).
        public var maxResponseBytes: Int

        public init(
            hostname: String, timeout: Duration = .seconds(10), maxAttempts: Int = 3,
            initialBackoff: Duration = .seconds(1), maxResponseBytes: Int = 65_536
        ) {
            self.hostname = hostname
            self.timeout = timeout
            self.maxAttempts = max(1, maxAttempts)
            self.initialBackoff = initialBackoff
            self.maxResponseBytes = maxResponseBytes
        }
    }

    /// What came of one request (after its retries).
    public struct Outcome: Sendable, Equatable {
        public enum Result: String, Sendable {
            /// A 2xx answer.
            case ok
            /// A 4xx answer other than 429: the relay refused (not retried).
            case rejected
            /// Unreachable, timed out, 429 or 5xx on every attempt.
            case error
        }

        /// The relay as configured, e.g. `https://bsky.network`.
        public let relay: String
        /// `host[:port]` of the relay: the `host` metric label and log value.
        public let host: String
        public let result: Result
        /// HTTP status of the last attempt (nil when no answer came).
        public let status: Int?
        public let attempts: Int
        /// The relay's error message or the transport error of the last failed attempt.
        public let message: String?
        /// From the first attempt to the end of the last one, backoff included.
        public let duration: Duration
    }

    static let requestsMetric = "pds_crawl_requests_total"

    public let settings: Settings
    let httpClient: HTTPClient
    let metricsFactory: any MetricsFactory
    let logger: Logger

    /// - Parameter httpClient: the client to use; the process-wide `HTTPClient.shared` by default (needs no
    ///   shutdown).
    public init(
        settings: Settings, httpClient: HTTPClient = .shared, metricsFactory: any MetricsFactory,
        logger: Logger = Logger(label: "pds.crawl")
    ) {
        self.settings = settings
        self.httpClient = httpClient
        self.metricsFactory = metricsFactory
        self.logger = logger
    }

    /// The `host[:port]` of a relay URL (the relay string itself when it does not parse).
    public static func host(of relay: String) -> String {
        guard let url = URL(string: relay), let host = url.host, !host.isEmpty else { return relay }
        return url.port.map { "\(host):\($0)" } ?? host
    }

    /// Asks `relay` (a base URL such as `https://bsky.network`) to crawl us, retrying transient failures.
    public func requestCrawl(relay: String) async -> Outcome {
        var base = relay
        while base.hasSuffix("/") { base.removeLast() }
        let host = Self.host(of: relay)
        let start = ContinuousClock.now
        var backoff = settings.initialBackoff
        var attempt = 1
        var last: (status: Int?, message: String?, retryable: Bool)
        while true {
            last = await attemptOnce(url: base + "/xrpc/com.atproto.sync.requestCrawl")
            if last.status.map({ (200..<300).contains($0) }) == true || !last.retryable
                || attempt >= settings.maxAttempts || Task.isCancelled
            {
                break
            }
            logger.warning(
                "requestCrawl attempt failed, retrying",
                metadata: [
                    "host": "\(host)", "attempt": "\(attempt)", "status": "\(last.status.map(String.init) ?? "none")",
                    "error": "\(last.message ?? "")", "backoff_ms": "\(backoff.milliseconds)",
                ])
            try? await Task.sleep(for: backoff)
            if Task.isCancelled { break }
            backoff *= 2
            attempt += 1
        }
        let result: Outcome.Result =
            switch last.status {
            case let status? where (200..<300).contains(status): .ok
            case _ where last.retryable: .error
            default: .rejected
            }
        let outcome = Outcome(
            relay: relay, host: host, result: result, status: last.status, attempts: attempt,
            message: result == .ok ? nil : last.message, duration: ContinuousClock.now - start)
        Counter(
            label: Self.requestsMetric, dimensions: [("host", host), ("result", result.rawValue)],
            factory: metricsFactory
        ).increment()
        var metadata: Logger.Metadata = [
            "host": "\(host)", "result": "\(result.rawValue)", "status": "\(last.status.map(String.init) ?? "none")",
            "attempts": "\(attempt)", "duration_ms": "\(outcome.duration.milliseconds)",
        ]
        if result == .ok {
            logger.info("requestCrawl sent", metadata: metadata)
        } else {
            metadata["error"] = "\(last.message ?? "")"
            logger.warning("requestCrawl failed", metadata: metadata)
        }
        return outcome
    }

    /// One attempt: the status (nil without an answer), an error message, and whether a failure is worth retrying.
    private func attemptOnce(url: String) async -> (status: Int?, message: String?, retryable: Bool) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = (try? JSONSerialization.data(withJSONObject: ["hostname": settings.hostname])) ?? Data()
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(settings.timeout.nanoseconds))
            let status = Int(response.status.code)
            let bytes = try await response.body.collect(upTo: settings.maxResponseBytes)
            if (200..<300).contains(status) { return (status, nil, false) }
            let message = HTTPPLCClient.message(in: Array(bytes.readableBytesView)) ?? "HTTP \(status)"
            return (status, message, status == 429 || status >= 500)
        } catch {
            return (nil, "\(error)", true)
        }
    }
}
