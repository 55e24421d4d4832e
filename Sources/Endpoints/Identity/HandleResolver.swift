import ATProto
import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import Metrics
import NIOCore
import Synchronization
import Telemetry

/// Resolves handles hosted elsewhere to DIDs, as atproto's handle spec describes: a `did=<DID>` TXT record at
/// `_atproto.<handle>`, else the first line of `https://<handle>/.well-known/atproto-did`. Both are asked at
/// once; the DNS answer wins when it has one (the reference's order). As in the reference, more than one
/// `did=` TXT record is no answer. Answers (found or not) are cached for a while; failed lookups are not.
///
/// Metrics: `pds_identity_resolve_duration_seconds{method=dns_txt|https_wellknown,result=ok|not_found|error}`.
public final class HandleResolver: Sendable {
    public struct Settings: Sendable {
        /// Time limit of the HTTPS request.
        public var httpTimeout: Duration
        /// How long a resolved handle is remembered.
        public var positiveTTL: Duration
        /// How long a handle that resolved to nothing is remembered.
        public var negativeTTL: Duration
        /// Most handles cached at once (the whole cache is dropped when it overflows).
        public var maxCacheEntries: Int
        /// The well-known URL of a handle (tests point it at a loopback server).
        public var wellKnownURL: @Sendable (String) -> String

        public init(
            httpTimeout: Duration = .seconds(3), positiveTTL: Duration = .seconds(600), negativeTTL: Duration = .seconds(60),
            maxCacheEntries: Int = 10_000,
            wellKnownURL: @escaping @Sendable (String) -> String = { "https://\($0)/.well-known/atproto-did" }
        ) {
            self.httpTimeout = httpTimeout
            self.positiveTTL = positiveTTL
            self.negativeTTL = negativeTTL
            self.maxCacheEntries = maxCacheEntries
            self.wellKnownURL = wellKnownURL
        }
    }

    enum Method: String { case dns = "dns_txt", https = "https_wellknown" }
    enum Outcome: String { case ok, notFound = "not_found", error }

    static let durationMetric = "pds_identity_resolve_duration_seconds"
    static let maxWellKnownBytes = 2_048

    public let settings: Settings
    private let txt: any TXTLookup
    private let httpClient: HTTPClient
    private let factory: any MetricsFactory
    private let logger: Logger
    private let cache = Mutex<[String: (did: String?, expires: ContinuousClock.Instant)]>([:])

    public init(
        settings: Settings = Settings(), txt: any TXTLookup = ResolverTXTLookup(), httpClient: HTTPClient = .shared,
        metricsFactory: any MetricsFactory, logger: Logger = Logger(label: "pds.identity")
    ) {
        self.settings = settings
        self.txt = txt
        self.httpClient = httpClient
        self.factory = metricsFactory
        self.logger = logger
    }

    /// The DID `handle` (lower case, valid) resolves to, or nil when neither method names one.
    public func resolve(_ handle: String) async -> String? {
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0[handle] }), cached.expires > now { return cached.did }

        async let fromHTTPS = lookupHTTPS(handle)
        let fromDNS = await lookupDNS(handle)
        let did: String?
        let failed: Bool
        if case .found(let value) = fromDNS {
            did = value
            failed = false
        } else {
            let https = await fromHTTPS
            if case .found(let value) = https {
                did = value
                failed = false
            } else {
                did = nil
                failed = fromDNS == .failed || https == .failed
            }
        }
        if !failed {
            let ttl = did == nil ? settings.negativeTTL : settings.positiveTTL
            cache.withLock { cache in
                if cache.count >= settings.maxCacheEntries { cache.removeAll(keepingCapacity: true) }
                cache[handle] = (did, ContinuousClock.now + ttl)
            }
        }
        return did
    }

    private enum Answer: Equatable {
        case found(String)
        case none
        case failed
    }

    private func lookupDNS(_ handle: String) async -> Answer {
        let start = ContinuousClock.now
        let answer: Answer
        do {
            let values = try await txt.txtRecords("_atproto.\(handle)")
            let dids = values.filter { $0.hasPrefix("did=") }.map { String($0.dropFirst(4)) }
            answer = dids.count == 1 && DID.isValid(dids[0]) ? .found(dids[0]) : .none
        } catch {
            logger.debug("handle DNS lookup failed", metadata: ["handle": "\(handle)", "error": "\(error)"])
            answer = .failed
        }
        record(.dns, answer, since: start)
        return answer
    }

    private func lookupHTTPS(_ handle: String) async -> Answer {
        let start = ContinuousClock.now
        let answer: Answer
        do {
            let request = HTTPClientRequest(url: settings.wellKnownURL(handle))
            let timeout = TimeAmount.nanoseconds(settings.httpTimeout.nanoseconds)
            let response = try await httpClient.execute(request, timeout: timeout)
            if response.status.code == 200 {
                let body = try await response.body.collect(upTo: Self.maxWellKnownBytes)
                let text = String(decoding: body.readableBytesView, as: UTF8.self)
                let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                let did = line.trimmingCharacters(in: .whitespacesAndNewlines)
                answer = DID.isValid(did) ? .found(did) : .none
            } else {
                answer = response.status.code >= 500 ? .failed : .none
            }
        } catch {
            // Cancelled because the DNS answer came first: not a lookup that failed.
            if Task.isCancelled { return .failed }
            logger.debug("handle HTTPS lookup failed", metadata: ["handle": "\(handle)", "error": "\(error)"])
            answer = .failed
        }
        record(.https, answer, since: start)
        return answer
    }

    private func record(_ method: Method, _ answer: Answer, since start: ContinuousClock.Instant) {
        let outcome: Outcome
        switch answer {
        case .found: outcome = .ok
        case .none: outcome = .notFound
        case .failed: outcome = .error
        }
        Timer(
            label: Self.durationMetric, dimensions: [("method", method.rawValue), ("result", outcome.rawValue)], factory: factory
        ).record(duration: ContinuousClock.now - start)
    }
}

