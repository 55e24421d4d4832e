import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import Telemetry

/// The SwiftPDS HTTP application.
///
/// Layers, outermost first: ``ObservedResponder`` (request id, metrics, request log), then per
/// route CORS, error conversion (every error becomes an XRPC error body) and gzip compression.
///
/// - Parameters:
///   - onServerRunning: called once the listener is bound, with the bound port.
///   - extraRoutes: registers more XRPC methods (tests; features add theirs in ``registerXRPCMethods``).
///   - firehose: the sequencer behind `com.atproto.sync.subscribeRepos` (nil: no WebSocket route).
public func buildApplication(
    settings: ServerSettings,
    dependencies: ServerDependencies,
    firehose: Sequencer? = nil,
    onServerRunning: @escaping @Sendable (_ boundPort: Int) async -> Void = { _ in },
    extraRoutes: (XRPCRouter) -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(settings: settings, dependencies: dependencies, extraRoutes: extraRoutes)
    let responder = ObservedResponder(
        inner: router.buildResponder(),
        metrics: HTTPMetrics(factory: dependencies.metrics.factory),
        maxRequestBodyBytes: settings.maxRequestBodyBytes,
        onConnectionLoop: settings.handlersOnConnectionLoop
    )
    return Application(
        responder: responder,
        server: makeServerBuilder(firehose: firehose),
        configuration: ApplicationConfiguration(
            address: .hostname(settings.bindAddress, port: settings.port),
            serverName: nil
        ),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
        logger: dependencies.logger
    )
}

/// The routes and middleware of the application, without the outer observation layer.
func buildRouter(
    settings: ServerSettings,
    dependencies: ServerDependencies,
    extraRoutes: (XRPCRouter) -> Void
) -> Router<PDSRequestContext> {
    let router = Router(context: PDSRequestContext.self, options: [.autoGenerateHeadEndpoints])
    // Middleware applies to routes added after it, so it comes first.
    router.add(middleware: CORSMiddleware())
    router.add(middleware: XRPCErrorMiddleware())
    router.add(middleware: GzipMiddleware(minimumBytes: settings.gzipMinimumBytes, level: settings.gzipLevel))

    BasicRoutes.add(to: router, settings: settings, health: dependencies.health)
    HealthRoutes.add(to: router, health: dependencies.health)
    MetricsRoute.add(to: router, metrics: dependencies.metrics)
    WellKnownRoutes.add(to: router, settings: settings)
    if let services = dependencies.services {
        IdentityRoutes.add(to: router, services: services, settings: settings)
    }

    let xrpc = XRPCRouter()
    registerXRPCMethods(xrpc, settings: settings, dependencies: dependencies)
    extraRoutes(xrpc)
    // These apply to the XRPC routes only (added after them).
    router.add(middleware: AuthResponseHeadersMiddleware())
    if let services = dependencies.services {
        router.add(middleware: RateLimitMiddleware(limiter: services.rateLimiter, knownNSIDs: Set(xrpc.registeredNSIDs)))
    }
    let proxy = dependencies.services.map {
        ServiceProxy(
            settings: settings.proxy, services: $0, maxRequestBodyBytes: settings.maxRequestBodyBytes,
            metricsFactory: dependencies.metrics.factory)
    }
    XRPCRoutes.add(to: router, dispatcher: xrpc.makeDispatcher(proxy: proxy))
    return router
}

/// Every XRPC method the server implements: one line per feature.
func registerXRPCMethods(_ xrpc: XRPCRouter, settings: ServerSettings, dependencies: ServerDependencies) {
    DescribeServer.add(to: xrpc, settings: settings)
    if let services = dependencies.services {
        SessionRoutes.add(to: xrpc, services: services)
        AppPasswordRoutes.add(to: xrpc, services: services)
        InviteCodeRoutes.add(to: xrpc, services: services, settings: settings)
        CreateAccount.add(to: xrpc, services: services, settings: settings)
        IdentityRoutes.add(to: xrpc, services: services, settings: settings)
        RepoRoutes.add(to: xrpc, services: services, settings: settings, metricsFactory: dependencies.metrics.factory)
        PreferencesRoutes.add(to: xrpc, services: services)
        SyncRoutes.add(to: xrpc, services: services, metricsFactory: dependencies.metrics.factory)
        AdminRoutes.add(to: xrpc, services: services, settings: settings)
        ServiceAuthRoutes.add(to: xrpc, services: services)
        IdentityUpdateRoutes.add(to: xrpc, services: services, settings: settings)
        AccountLifecycleRoutes.add(to: xrpc, services: services, settings: settings)
        ImportRepoRoutes.add(to: xrpc, services: services, settings: settings)
        EmailRoutes.add(to: xrpc, services: services, metricsFactory: dependencies.metrics.factory)
    }
}

/// HTTP/1.1, with the WebSocket upgrade of the firehose when there is a sequencer.
func makeServerBuilder(firehose: Sequencer? = nil) -> HTTPServerBuilder {
    guard let firehose else { return .http1() }
    return .http1WebSocketUpgrade(
        webSocketRouter: SubscribeRepos.webSocketRouter(sequencer: firehose),
        configuration: .init(ws: SubscribeRepos.webSocketConfiguration(settings: firehose.settings)))
}

/// One route, `/xrpc/_health` answering `{"version": ...}`, and no middleware: the baseline the
/// middleware stack is benchmarked against.
public func buildBareApplication(settings: ServerSettings) -> some ApplicationProtocol {
    let router = Router()
    let body = JSONBody.errorlessVersionBody(settings.version)
    router.get(RouterPath(XRPCRoutes.healthPath)) { _, _ in
        Response(status: .ok, headers: [.contentType: JSONBody.contentType], body: .init(byteBuffer: body))
    }
    return Application(
        router: router,
        configuration: ApplicationConfiguration(address: .hostname(settings.bindAddress, port: settings.port), serverName: nil)
    )
}
