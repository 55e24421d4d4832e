import ATProto
import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Telemetry

/// The PLC directory over HTTP(S), with AsyncHTTPClient (non-blocking, on its own event loops).
///
/// Every request has a timeout; connection failures, timeouts and 5xx answers are retried with exponential
/// backoff (resubmitting the same operation is safe: the directory accepts an operation it already holds or
/// refuses it as a duplicate, and the DID stays the same). 4xx answers are not retried; 404 and 410 (a retired
/// DID) are ``PLCClientError/Code/notFound``.
public struct HTTPPLCClient: PLCClient {
    public struct Settings: Sendable {
        /// The directory's base URL, e.g. `https://plc.directory`.
        public var directoryURL: String
        /// Time limit of one attempt.
        public var timeout: Duration
        /// Attempts per request (1 = no retry).
        public var maxAttempts: Int
        /// Wait before the first retry; doubled before each further one.
        public var initialBackoff: Duration
        /// Largest answer read, in bytes.
        public var maxResponseBytes: Int

        public init(
            directoryURL: String = PLC.defaultDirectory, timeout: Duration = .seconds(10), maxAttempts: Int = 3,
            initialBackoff: Duration = .milliseconds(250), maxResponseBytes: Int = 1_048_576
        ) {
            var url = directoryURL
            while url.hasSuffix("/") { url.removeLast() }
            self.directoryURL = url
            self.timeout = timeout
            self.maxAttempts = max(1, maxAttempts)
            self.initialBackoff = initialBackoff
            self.maxResponseBytes = maxResponseBytes
        }
    }

    public let settings: Settings
    let httpClient: HTTPClient
    let metrics: PLCMetrics
    let logger: Logger

    /// - Parameter httpClient: the client to use; the process-wide `HTTPClient.shared` by default (needs no
    ///   shutdown).
    public init(
        settings: Settings = Settings(), httpClient: HTTPClient = .shared, metricsFactory: any MetricsFactory,
        logger: Logger = Logger(label: "pds.plc")
    ) {
        self.settings = settings
        self.httpClient = httpClient
        self.metrics = PLCMetrics(factory: metricsFactory)
        self.logger = logger
    }

    public func submit(did: String, operation: SignedPLCOperation) async throws(PLCClientError) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        _ = try await send(.submit, method: .POST, path: "/\(did)", headers: headers, body: operation.jsonBytes())
    }

    public func submit(did: String, tombstone: PLCTombstone) async throws(PLCClientError) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        _ = try await send(.submit, method: .POST, path: "/\(did)", headers: headers, body: tombstone.jsonBytes())
    }

    public func document(did: String) async throws(PLCClientError) -> DIDDocument {
        let body = try await send(.read, method: .GET, path: "/\(did)", headers: HTTPHeaders(), body: nil)
        do {
            return try JSONDecoder().decode(DIDDocument.self, from: Data(body))
        } catch {
            throw PLCClientError(.invalidResponse, "the DID document of \(did) is not valid JSON of the expected shape")
        }
    }

    public func lastOperation(did: String) async throws(PLCClientError) -> SignedPLCOperation {
        let body = try await send(.read, method: .GET, path: "/\(did)/log/last", headers: HTTPHeaders(), body: nil)
        do {
            return try SignedPLCOperation(json: body)
        } catch {
            throw PLCClientError(.invalidResponse, "the last operation of \(did) is not a plc_operation: \(error.message)")
        }
    }

    /// One request with the retries; returns the body of a 2xx answer.
    func send(
        _ operation: PLCMetrics.Operation, method: HTTPMethod, path: String, headers: HTTPHeaders, body: [UInt8]?
    ) async throws(PLCClientError) -> [UInt8] {
        var backoff = settings.initialBackoff
        var attempt = 1
        while true {
            do {
                return try await attemptOnce(operation, method: method, path: path, headers: headers, body: body)
            } catch {
                guard error.code == .unavailable, attempt < settings.maxAttempts, !Task.isCancelled else { throw error }
                logger.warning(
                    "PLC directory request failed, retrying",
                    metadata: ["op": "\(operation.rawValue)", "path": "\(path)", "attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff *= 2
                attempt += 1
            }
        }
    }

    private func attemptOnce(
        _ operation: PLCMetrics.Operation, method: HTTPMethod, path: String, headers: HTTPHeaders, body: [UInt8]?
    ) async throws(PLCClientError) -> [UInt8] {
        let start = ContinuousClock.now
        var request = HTTPClientRequest(url: settings.directoryURL + path)
        request.method = method
        request.headers = headers
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let status: Int
        let bytes: [UInt8]
        do {
            let timeout = TimeAmount.nanoseconds(settings.timeout.nanoseconds)
            let response = try await httpClient.execute(request, timeout: timeout)
            status = Int(response.status.code)
            let buffer = try await response.body.collect(upTo: settings.maxResponseBytes)
            bytes = Array(buffer.readableBytesView)
        } catch {
            metrics.record(operation, .error, duration: ContinuousClock.now - start)
            throw PLCClientError(.unavailable, "request to \(settings.directoryURL)\(path) failed: \(error)")
        }
        let elapsed = ContinuousClock.now - start
        switch status {
        case 200..<300:
            metrics.record(operation, .ok, duration: elapsed)
            return bytes
        case 404, 410:
            metrics.record(operation, .notFound, duration: elapsed)
            throw PLCClientError(.notFound, Self.message(in: bytes) ?? "DID not registered", status: status)
        case 400..<500:
            metrics.record(operation, .rejected, duration: elapsed)
            throw PLCClientError(.rejected, Self.message(in: bytes) ?? "refused (HTTP \(status))", status: status)
        default:
            metrics.record(operation, .error, duration: elapsed)
            throw PLCClientError(.unavailable, Self.message(in: bytes) ?? "HTTP \(status)", status: status)
        }
    }

    /// The `message` (or `error`) of a JSON error body, else the body as short text.
    static func message(in body: [UInt8]) -> String? {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            if let message = object["message"] as? String { return message }
            if let error = object["error"] as? String { return error }
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
