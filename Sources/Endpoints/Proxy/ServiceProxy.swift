import ATProto
import AsyncHTTPClient
import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Where proxied XRPC calls go (PDS-REFERENCE §1.5): the AppView and the report service by default, any service a
/// DID document names through the `atproto-proxy` header.
public struct ProxySettings: Sendable {
    /// A service this PDS forwards to without resolving a DID: its base URL and DID.
    public struct Service: Sendable, Hashable {
        public var url: String
        public var did: String

        public init(url: String, did: String) {
            var base = url
            while base.hasSuffix("/") { base.removeLast() }
            self.url = base
            self.did = did
        }
    }

    /// The AppView (`PDS_BSKY_APP_VIEW_URL` / `_DID`): every method without a local handler and without an
    /// `atproto-proxy` header goes there, and `atproto-proxy: <its DID>#bsky_appview` too.
    public var appView: Service?
    /// The moderation report service (`PDS_REPORT_SERVICE_URL` / `_DID`): `com.atproto.moderation.createReport`.
    public var reportService: Service?
    /// Time limit of one forwarded call, from sending it to the end of the answer.
    public var timeout: Duration
    /// Largest answer passed on, in bytes (a longer one is cut off and counted as an upstream error).
    public var maxResponseBytes: Int
    /// Whether endpoints taken from DID documents may be plain `http://` or loopback and private addresses (tests
    /// and local development only; production endpoints must be https on public addresses).
    public var allowInsecureResolvedEndpoints: Bool

    public init(
        appView: Service? = nil, reportService: Service? = nil, timeout: Duration = .seconds(30),
        maxResponseBytes: Int = 10 * 1_048_576, allowInsecureResolvedEndpoints: Bool = false
    ) {
        self.appView = appView
        self.reportService = reportService
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.allowInsecureResolvedEndpoints = allowInsecureResolvedEndpoints
    }
}

/// The catch-all for XRPC methods this PDS does not serve itself (the reference's `pipethrough.ts` proxy handler).
///
/// 1. Only GET, HEAD and POST; the reference's protected methods (account management) are never forwarded: the
///    one without a local handler here (`com.atproto.admin.sendEmail`) is 501 `MethodNotImplemented`.
/// 2. The caller needs an access token (app passwords too) of an account that is not taken down (deactivated is
///    fine, as in the reference); chat methods and createAccount need a full session or a privileged app password.
/// 3. The target is the `atproto-proxy` header's `did#serviceId` (resolved through the DID document, whose
///    endpoint must be https on a public address), or else the configured default: the report service for
///    `com.atproto.moderation.createReport`, the AppView for everything else. Without one the method is 501
///    `MethodNotImplemented`, as before any proxying was configured.
/// 4. The call is sent with the query string, the body (POST, within the request size limit) and the headers
///    `accept-encoding`, `accept-language`, `atproto-accept-labelers`, `x-bsky-topics` and content-*, and
///    `Authorization: Bearer <service JWT>` signed with the caller's repo key (`iss` the caller, `aud` the target
///    DID, `#serviceId` appended when the header named one, `lxm` the method, one minute). `app.bsky.feed.getFeed`
///    to the AppView carries a token for the feed generator instead (`aud` its DID, as the AppView's
///    `getFeedGenerator` names it; `lxm` `app.bsky.feed.getFeedSkeleton`), which the AppView passes on.
/// 5. The answer's status, body (streamed, at most ``ProxySettings/maxResponseBytes``), content-type, -encoding
///    and -language, `atproto-repo-rev`, `atproto-content-labelers` and `retry-after` come back. An upstream 500 becomes 502 `UpstreamFailure`; an unreachable or
///    timed-out service 502 `UpstreamFailure` / 504 `UpstreamTimeout`.
///
/// Metrics: `pds_proxy_requests_total{service,result}` and `pds_proxy_request_duration_seconds{service}` (until
/// the answer's head).
public struct ServiceProxy: Sendable {
    let settings: ProxySettings
    let services: PDSServices
    let httpClient: HTTPClient
    let metrics: ProxyMetrics
    let maxRequestBodyBytes: Int

    static let headerName = HTTPField.Name("atproto-proxy")!
    static let forwardedRequestHeaders = ["accept-language", "atproto-accept-labelers", "x-bsky-topics"]
    static let forwardedBodyHeaders = ["content-type", "content-encoding"]
    static let forwardedResponseHeaders = [
        "content-type", "content-encoding", "content-language", "atproto-repo-rev",
        "atproto-content-labelers", "retry-after",
    ]
    static let appViewServiceID = "#bsky_appview"

    /// The proxy's own client, for the life of the process: no redirects followed, bodies passed on as they came
    /// (no decompression), and a refused or failed connection fails the call at once instead of being retried until
    /// the deadline (`HTTPClient.shared` does all three the other way).
    public static let defaultHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            certificateVerification: .fullVerification, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(30)), connectionPool: .seconds(60), proxy: nil,
            ignoreUncleanSSLShutdown: false, decompression: .disabled, backgroundActivityLogger: nil)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(
        settings: ProxySettings, services: PDSServices, maxRequestBodyBytes: Int, metricsFactory: any MetricsFactory,
        httpClient: HTTPClient = ServiceProxy.defaultHTTPClient
    ) {
        self.settings = settings
        self.services = services
        self.httpClient = httpClient
        self.metrics = ProxyMetrics(factory: metricsFactory)
        self.maxRequestBodyBytes = maxRequestBodyBytes
    }

    /// A resolved destination.
    struct Target: Sendable, Equatable {
        var url: String
        var did: String
        var serviceID: String?
        /// The metrics label.
        var label: String

        var audience: String { serviceID.map { did + $0 } ?? did }
    }

    /// Whether a call of `nsid` with this request goes anywhere (no header and no default service: no).
    func hasTarget(for request: Request, nsid: String) -> Bool {
        request.headers[Self.headerName] != nil || defaultTarget(for: nsid) != nil
    }

    func defaultTarget(for nsid: String) -> Target? {
        if nsid == "com.atproto.moderation.createReport", let report = settings.reportService {
            return Target(url: report.url, did: report.did, serviceID: nil, label: "report")
        }
        guard let appView = settings.appView else { return nil }
        return Target(url: appView.url, did: appView.did, serviceID: nil, label: "appview")
    }

    /// Forwards the request for `nsid` and answers with what came back.
    func forward(_ request: Request, nsid: String) async throws -> Response {
        guard request.method == .get || request.method == .head || request.method == .post else {
            throw XRPCError.invalidRequest("XRPC requests only supports GET and POST")
        }
        let method = nsid.lowercased()
        if ServiceAuthRoutes.protectedMethods.contains(method) {
            // Account management belongs to the account's own PDS: never forwarded. Those this server serves have
            // local handlers; the rest (admin.sendEmail) it does not implement.
            throw XRPCError.methodNotImplemented(nsid)
        }
        // Deactivated accounts too (an account moving here uses the app before it is activated), as the reference.
        let caller = try await services.requireAccess(request, allowDeactivated: true)
        if ServiceAuthRoutes.privilegedMethods.contains(method), !AccessLevel.privileged.allows(caller.scope) {
            throw XRPCError.invalidRequest("Bad token method", code: .invalidToken)
        }
        let target: Target
        do {
            target = try await resolveTarget(request, nsid: nsid)
        } catch {
            metrics.record(service: "unresolved", result: .refused, duration: nil)
            throw error
        }

        // getFeed: the AppView passes the token on to the feed generator, so it is made out to the generator
        // (the reference's local getFeed handler).
        var audience = target.audience
        var tokenMethod = nsid
        if nsid == Self.getFeedNSID, target.label == "appview" {
            audience = try await feedGeneratorDID(request, caller: caller, appView: target)
            tokenMethod = "app.bsky.feed.getFeedSkeleton"
        }
        let token = try await services.mintServiceToken(did: caller.did, aud: audience, lxm: tokenMethod).token
        var outbound = HTTPClientRequest(url: target.url + (request.uri.path) + (request.uri.query.map { "?" + $0 } ?? ""))
        outbound.method = request.method == .post ? .POST : (request.method == .head ? .HEAD : .GET)
        outbound.headers.add(name: "accept-encoding", value: request.headers[.acceptEncoding] ?? "identity")
        for name in Self.forwardedRequestHeaders {
            if let value = request.headers[HTTPField.Name(name)!] { outbound.headers.add(name: name, value: value) }
        }
        outbound.headers.add(name: "authorization", value: "Bearer \(token)")
        if request.method == .post {
            for name in Self.forwardedBodyHeaders {
                if let value = request.headers[HTTPField.Name(name)!] { outbound.headers.add(name: name, value: value) }
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: maxRequestBodyBytes)
            } catch {
                throw XRPCError.payloadTooLarge()
            }
            outbound.body = .bytes(body)
        }

        let (upstream, elapsed) = try await exchange(outbound, target: target, nsid: nsid)
        let status = Int(upstream.status.code)
        if let length = upstream.headers.first(name: "content-length").flatMap(Int.init), length > settings.maxResponseBytes {
            metrics.record(service: target.label, result: .upstreamError, duration: elapsed)
            throw XRPCError.upstreamFailure("Upstream response too large")
        }
        metrics.record(service: target.label, result: .ok, duration: elapsed)

        var headers = HTTPFields()
        for name in Self.forwardedResponseHeaders {
            if let value = upstream.headers.first(name: name) { headers[HTTPField.Name(name)!] = value }
        }
        let cap = settings.maxResponseBytes
        let logger = services.logger
        let body = ResponseBody { writer in
            var written = 0
            for try await chunk in upstream.body {
                written += chunk.readableBytes
                guard written <= cap else {
                    logger.warning(
                        "proxied answer cut off", metadata: ["event": "proxy_failed", "nsid": "\(nsid)", "bytes": "\(written)"])
                    throw XRPCError.upstreamFailure("Upstream response too large")
                }
                try await writer.write(chunk)
            }
            try await writer.finish(nil)
        }
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: body)
    }

    /// The `atproto-proxy` header's service, or the default one for `nsid`.
    func resolveTarget(_ request: Request, nsid: String) async throws(XRPCError) -> Target {
        guard let header = request.headers[Self.headerName] else {
            guard let target = defaultTarget(for: nsid) else { throw XRPCError.methodNotImplemented(nsid) }
            return target
        }
        let (did, serviceID) = try Self.parseHeader(header)
        if let appView = settings.appView, did == appView.did, serviceID == Self.appViewServiceID {
            return Target(url: appView.url, did: did, serviceID: serviceID, label: "appview")
        }
        let document: DIDDocument
        do {
            document = try await services.didResolver.resolve(did)
        } catch {
            throw XRPCError.invalidRequest("could not resolve proxy did")
        }
        guard
            let endpoint = document.service.first(where: { $0.id == serviceID || $0.id == did + serviceID })?.serviceEndpoint,
            let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty
        else {
            throw XRPCError.invalidRequest("could not resolve proxy did service url")
        }
        if !settings.allowInsecureResolvedEndpoints {
            guard scheme == "https", !Self.isLocalHost(host) else {
                throw XRPCError.invalidRequest("proxy service url must be https on a public address")
            }
        } else if scheme != "https" && scheme != "http" {
            throw XRPCError.invalidRequest("could not resolve proxy did service url")
        }
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        return Target(url: base, did: did, serviceID: serviceID, label: ProxyMetrics.serviceLabel(serviceID))
    }

    /// `did#serviceId`, with the reference's messages for each way it can be wrong.
    static func parseHeader(_ value: String) throws(XRPCError) -> (did: String, serviceID: String) {
        guard let hash = value.firstIndex(of: "#") else {
            throw XRPCError.invalidRequest("no service id specified in proxy header")
        }
        if hash == value.startIndex { throw XRPCError.invalidRequest("no did specified in proxy header") }
        if value.index(after: hash) == value.endIndex {
            throw XRPCError.invalidRequest("no service id specified in proxy header")
        }
        if value[value.index(after: hash)...].contains("#") { throw XRPCError.invalidRequest("invalid proxy header format") }
        if value.contains(" ") { throw XRPCError.invalidRequest("proxy header cannot contain spaces") }
        let did = String(value[..<hash])
        guard AtprotoDID.isValid(did) else { throw XRPCError.invalidRequest("could not resolve proxy did") }
        return (did, String(value[hash...]))
    }

    /// Loopback, private, link-local and unspecified literal addresses, and `localhost` (names that resolve to such
    /// addresses are not looked up here).
    static func isLocalHost(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let lowered = bare.lowercased()
        if lowered == "localhost" || lowered.hasSuffix(".localhost") || lowered == "0.0.0.0" || lowered == "::" { return true }
        return RateLimitClientAddress.isProxyAddress(lowered)
    }

    static let getFeedNSID = "app.bsky.feed.getFeed"

    /// The service DID of the feed generator behind getFeed's `feed` (an at:// URI of a generator record), as the
    /// AppView's `app.bsky.feed.getFeedGenerator` names it.
    func feedGeneratorDID(_ request: Request, caller: AuthenticatedAccount, appView: Target) async throws -> String {
        guard let feed = request.uri.queryParameters.get("feed"), !feed.isEmpty else {
            throw XRPCError.invalidRequest("Params must have the property \"feed\"")
        }
        var query = URLComponents()
        query.queryItems = [URLQueryItem(name: "feed", value: feed)]
        let lookupMethod = "app.bsky.feed.getFeedGenerator"
        var lookup = HTTPClientRequest(url: appView.url + "/xrpc/\(lookupMethod)?" + (query.percentEncodedQuery ?? ""))
        lookup.headers.add(name: "accept-encoding", value: "identity")
        let token = try await services.mintServiceToken(did: caller.did, aud: appView.did, lxm: lookupMethod).token
        lookup.headers.add(name: "authorization", value: "Bearer \(token)")
        let (response, elapsed) = try await exchange(lookup, target: appView, nsid: lookupMethod)
        metrics.record(service: appView.label, result: .ok, duration: elapsed)
        guard let body = try? await response.body.collect(upTo: 1_048_576),
            let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let view = object["view"] as? [String: Any], let did = view["did"] as? String, AtprotoDID.isValid(did)
        else {
            throw XRPCError.upstreamFailure("AppView answered getFeedGenerator without a feed generator DID")
        }
        return did
    }

    /// Sends `outbound` to `target` and returns the answer (1xx-3xx) with the time to its head. Everything else is
    /// counted and thrown as the reference answers it: unreachable 502 `UpstreamFailure`, no answer in time 504
    /// `UpstreamTimeout` (both logged as `proxy_failed`), a 500 502 `UpstreamFailure` with the service's message,
    /// any other 4xx or 5xx the service's own error name, message and status.
    private func exchange(
        _ outbound: HTTPClientRequest, target: Target, nsid: String
    ) async throws(XRPCError) -> (HTTPClientResponse, Duration) {
        let start = ContinuousClock.now
        let upstream: HTTPClientResponse
        do {
            upstream = try await httpClient.execute(outbound, deadline: .now() + .nanoseconds(settings.timeout.nanoseconds))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            metrics.record(service: target.label, result: .timeout, duration: ContinuousClock.now - start)
            services.logger.warning(
                "proxied call timed out",
                metadata: ["event": "proxy_failed", "nsid": "\(nsid)", "service": "\(target.audience)", "error": "\(error)"])
            throw XRPCError.upstreamTimeout()
        } catch {
            metrics.record(service: target.label, result: .unreachable, duration: ContinuousClock.now - start)
            services.logger.warning(
                "proxied call failed",
                metadata: ["event": "proxy_failed", "nsid": "\(nsid)", "service": "\(target.audience)", "error": "\(error)"])
            throw XRPCError.upstreamFailure("Upstream service unreachable")
        }
        let elapsed = ContinuousClock.now - start
        let status = Int(upstream.status.code)
        guard status >= 400 else { return (upstream, elapsed) }
        metrics.record(service: target.label, result: status >= 500 ? .upstreamError : .clientError, duration: elapsed)
        let parsed = await Self.errorBody(upstream)
        var headers = HTTPFields()
        for name in ["atproto-repo-rev", "atproto-content-labelers", "retry-after"] {
            if let value = upstream.headers.first(name: name) { headers[HTTPField.Name(name)!] = value }
        }
        if status == 500 {
            throw XRPCError(.upstreamFailure, message: parsed.message ?? "Upstream Failure", status: .badGateway, headers: headers)
        }
        throw XRPCError(
            XRPCError.Code(rawValue: parsed.error ?? Self.defaultErrorName(status)),
            message: parsed.message ?? HTTPResponse.Status(code: status).reasonPhrase,
            status: HTTPResponse.Status(code: status), logLevel: .debug, headers: headers)
    }

    static func defaultErrorName(_ status: Int) -> String {
        switch status {
        case 401: XRPCError.Code.authenticationRequired.rawValue
        case 403: XRPCError.Code.forbidden.rawValue
        case 404: XRPCError.Code.xrpcNotSupported.rawValue
        case 413: XRPCError.Code.payloadTooLarge.rawValue
        case 429: XRPCError.Code.rateLimitExceeded.rawValue
        case 501: XRPCError.Code.methodNotImplemented.rawValue
        case 502: XRPCError.Code.upstreamFailure.rawValue
        case 503: XRPCError.Code.notEnoughResources.rawValue
        case 504: XRPCError.Code.upstreamTimeout.rawValue
        default: XRPCError.Code.invalidRequest.rawValue
        }
    }

    /// The `error` and `message` of a JSON error answer (at most 64 KiB read; anything else gives nothing).
    static func errorBody(_ response: HTTPClientResponse) async -> (error: String?, message: String?) {
        guard let type = response.headers.first(name: "content-type")?.lowercased(), type.contains("json"),
            response.headers.first(name: "content-encoding").map({ $0.lowercased() == "identity" }) ?? true,
            let buffer = try? await response.body.collect(upTo: 65_536),
            let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        else { return (nil, nil) }
        return (object["error"] as? String, object["message"] as? String)
    }
}
