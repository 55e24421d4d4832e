import Hummingbird
import Logging
import Synchronization
import Telemetry

/// `GET /`, `/robots.txt` and atproto's `/xrpc/_health`.
enum BasicRoutes {
    static let robotsTxt = "# Hello!\n\n# Crawling the public API is allowed\nUser-agent: *\nAllow: /\n"

    static func add(to router: Router<PDSRequestContext>, settings: ServerSettings, health: HealthRegistry) {
        let banner = settings.banner
        router.get("/") { _, _ in TextBody.response(banner) }
        router.get("/robots.txt") { _, _ in TextBody.response(robotsTxt) }

        let cache = HealthCache(health: health, ttl: settings.healthCacheTTL)
        let version = settings.version
        let okBody = JSONBody.errorlessVersionBody(version)
        router.get(RouterPath(XRPCRoutes.healthPath)) { _, context in
            let ready = await cache.isReady(logger: context.logger)
            if ready {
                return Response(status: .ok, headers: [.contentType: JSONBody.contentType], body: .init(byteBuffer: okBody))
            }
            return try JSONBody.response(
                HealthFailure(version: version, error: "ServiceUnavailable", message: "Service Unavailable"),
                status: .serviceUnavailable
            )
        }
    }

    struct HealthFailure: Encodable {
        let version: String
        let error: String
        let message: String
    }
}

/// Reuses a readiness result for a short time so `/xrpc/_health`, which monitors poll often,
/// does not run every check on every call.
final class HealthCache: Sendable {
    private let health: HealthRegistry
    private let ttl: Duration
    private let last = Mutex<(at: ContinuousClock.Instant, ok: Bool)?>(nil)

    init(health: HealthRegistry, ttl: Duration) {
        self.health = health
        self.ttl = ttl
    }

    func isReady(logger: Logger) async -> Bool {
        let now = ContinuousClock.now
        if ttl > .zero, let cached = last.withLock({ $0 }), now - cached.at < ttl {
            return cached.ok
        }
        let report = await health.run(.readiness)
        for failure in report.failures {
            logger.warning(
                "readiness check failed",
                metadata: ["check": .string(failure.name), "reason": .string(failure.reason ?? "failed")]
            )
        }
        last.withLock { $0 = (now, report.ok) }
        return report.ok
    }
}
