import ATProto
import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import Metrics
import NIOCore
import Synchronization
import Telemetry

/// Resolves DIDs to their documents (PDS-REFERENCE §5.6): a `did:plc` through the PLC directory
/// (``PLCClient/document(did:)``), a `did:web` through `https://<host>/.well-known/did.json` (plain `http` for
/// `localhost`, as the reference) with a time limit and a size limit. Documents are cached for a short while
/// (bounded: the whole cache is dropped when it is full); failures are not cached. `forceRefresh` bypasses the
/// cache (a signature that failed against a cached key may be explained by a key rotation).
///
/// Metrics: `pds_identity_resolve_duration_seconds{method=did_plc|did_web,result=ok|not_found|error}` for each
/// lookup that leaves the process (the directory's own requests are also in `pds_plc_requests_total`).
public final class DIDResolver: Sendable {
    public struct Settings: Sendable {
        /// Time limit of a did:web request.
        public var httpTimeout: Duration
        /// How long a resolved document is reused.
        public var ttl: Duration
        /// Most documents cached at once.
        public var maxCacheEntries: Int
        /// Largest did:web document read, in bytes.
        public var maxDocumentBytes: Int
        /// The URL of a did:web document from its (percent-decoded) host; tests point it at a loopback server.
        public var didWebURL: @Sendable (String) -> String

        public init(
            httpTimeout: Duration = .seconds(3), ttl: Duration = .seconds(300), maxCacheEntries: Int = 10_000,
            maxDocumentBytes: Int = 65_536,
            didWebURL: @escaping @Sendable (String) -> String = DIDResolver.defaultDIDWebURL
        ) {
            self.httpTimeout = httpTimeout
            self.ttl = ttl
            self.maxCacheEntries = maxCacheEntries
            self.maxDocumentBytes = maxDocumentBytes
            self.didWebURL = didWebURL
        }
    }

    /// Why a DID has no document.
    public enum Failure: Error, Sendable, Hashable {
        /// The DID is unknown, retired, or its document is not for it.
        case notFound
        /// Not a DID method atproto supports (plc, web without a path).
        case unsupported
        /// The directory or host could not be reached, timed out, failed, or answered something malformed.
        case unavailable(String)
    }

    enum Method: String { case plc = "did_plc", web = "did_web" }

    /// `https://<host>/.well-known/did.json`, or `http://` for `localhost`.
    public static let defaultDIDWebURL: @Sendable (String) -> String = { host in
        let scheme = host == "localhost" || host.hasPrefix("localhost:") ? "http" : "https"
        return "\(scheme)://\(host)/.well-known/did.json"
    }

    public let settings: Settings
    private let plc: any PLCClient
    private let httpClient: HTTPClient
    private let factory: any MetricsFactory
    private let logger: Logger
    private let cache = Mutex<[String: (document: DIDDocument, expires: ContinuousClock.Instant)]>([:])

    public init(
        settings: Settings = Settings(), plc: any PLCClient, httpClient: HTTPClient = .shared,
        metricsFactory: any MetricsFactory, logger: Logger = Logger(label: "pds.identity")
    ) {
        self.settings = settings
        self.plc = plc
        self.httpClient = httpClient
        self.factory = metricsFactory
        self.logger = logger
    }

    /// The document of `did`, from the cache unless `forceRefresh` or expired.
    public func resolve(_ did: String, forceRefresh: Bool = false) async throws(Failure) -> DIDDocument {
        if !forceRefresh, let cached = cache.withLock({ $0[did] }), cached.expires > ContinuousClock.now {
            return cached.document
        }
        let document: DIDDocument
        if did.hasPrefix("did:plc:"), AtprotoDID.isValid(did) {
            document = try await resolvePLC(did)
        } else if did.hasPrefix("did:web:"), AtprotoDID.isValid(did) {
            document = try await resolveWeb(did)
        } else {
            throw .unsupported
        }
        guard document.id == did else {
            logger.info("DID document is for another DID", metadata: ["did": "\(did)", "document_id": "\(document.id)"])
            throw .notFound
        }
        cache.withLock { cache in
            if cache.count >= settings.maxCacheEntries, cache[did] == nil { cache.removeAll(keepingCapacity: true) }
            cache[did] = (document, ContinuousClock.now + settings.ttl)
        }
        return document
    }

    /// Forgets the cached document of `did`.
    public func forget(_ did: String) {
        _ = cache.withLock { $0.removeValue(forKey: did) }
    }

    private func resolvePLC(_ did: String) async throws(Failure) -> DIDDocument {
        let start = ContinuousClock.now
        do {
            let document = try await plc.document(did: did)
            record(.plc, "ok", since: start)
            return document
        } catch {
            if error.code == .notFound {
                record(.plc, "not_found", since: start)
                throw .notFound
            }
            record(.plc, "error", since: start)
            logger.warning("did:plc resolution failed", metadata: ["did": "\(did)", "error": "\(error)"])
            throw .unavailable(error.message)
        }
    }

    private func resolveWeb(_ did: String) async throws(Failure) -> DIDDocument {
        let encodedHost = String(did.dropFirst("did:web:".count))
        let host = encodedHost.removingPercentEncoding ?? encodedHost
        let start = ContinuousClock.now
        let status: UInt
        let body: ByteBuffer
        do {
            let request = HTTPClientRequest(url: settings.didWebURL(host))
            let response = try await httpClient.execute(request, timeout: TimeAmount.nanoseconds(settings.httpTimeout.nanoseconds))
            status = response.status.code
            body = try await response.body.collect(upTo: settings.maxDocumentBytes)
        } catch {
            record(.web, "error", since: start)
            logger.warning("did:web resolution failed", metadata: ["did": "\(did)", "error": "\(error)"])
            throw .unavailable("could not fetch the DID document of \(did)")
        }
        guard status == 200 else {
            if status == 404 || status == 410 {
                record(.web, "not_found", since: start)
                throw .notFound
            }
            record(.web, "error", since: start)
            throw .unavailable("the host of \(did) answered HTTP \(status)")
        }
        do {
            let document = try JSONDecoder().decode(DIDDocument.self, from: Data(body.readableBytesView))
            record(.web, "ok", since: start)
            return document
        } catch {
            record(.web, "error", since: start)
            throw .unavailable("the DID document of \(did) is not valid JSON of the expected shape")
        }
    }

    private func record(_ method: Method, _ result: String, since start: ContinuousClock.Instant) {
        Timer(
            label: HandleResolver.durationMetric, dimensions: [("method", method.rawValue), ("result", result)],
            factory: factory
        ).record(duration: ContinuousClock.now - start)
    }
}
