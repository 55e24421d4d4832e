import CoreMetrics
import Foundation
import HTTPTypes
import Synchronization

/// In-memory fixed-window rate limits, as the reference's memory backend: a key's window starts with its first
/// request and lasts the policy's window; every request consumes points, and a request that takes the count
/// above the limit is refused with 429 `RateLimitExceeded`.
///
/// Counters live in 16 shards, each behind its own lock; a shard drops its expired windows whenever it has grown
/// to twice the size it had after its last sweep (at least ``sweepThreshold`` windows).
public final class RateLimiter: Sendable {
    public let settings: RateLimitSettings
    private let shards: [ShardBox]
    private let metricsFactory: any MetricsFactory

    /// Windows kept per shard before expired ones are swept.
    static let sweepThreshold = 4096

    struct Window {
        var start: Double
        var end: Double
        var consumed: Int
    }

    struct Shard {
        var windows: [String: Window] = [:]
        var sweepAt = RateLimiter.sweepThreshold
    }

    final class ShardBox: Sendable {
        let state = Mutex(Shard())
    }

    public init(settings: RateLimitSettings, metricsFactory: any MetricsFactory) {
        self.settings = settings
        self.metricsFactory = metricsFactory
        self.shards = (0..<16).map { _ in ShardBox() }
    }

    /// The state of one policy for one key after a request.
    public struct Status: Sendable, Hashable {
        public let policy: RateLimitPolicy
        /// Points left in the window (0 when exceeded).
        public let remaining: Int
        /// When the window ends, in seconds since the epoch.
        public let resetAt: Double
        public let exceeded: Bool
    }

    /// The outcome of consuming points against several policies.
    public struct Decision: Sendable, Hashable {
        public let statuses: [Status]

        /// The first exceeded policy, if any.
        public var exceeded: Status? { statuses.first { $0.exceeded } }

        /// The status the headers describe: the exceeded one, or the one with the fewest points left.
        public var reported: Status? {
            exceeded ?? statuses.min { $0.remaining < $1.remaining }
        }

        /// `RateLimit-Limit`, `-Remaining`, `-Reset` (epoch seconds), `-Policy`, and on refusal `Retry-After`.
        public func headers(now: Date = Date()) -> HTTPFields {
            guard let status = reported else { return [:] }
            var fields = HTTPFields()
            fields[RateLimiter.limitHeader] = String(status.policy.points)
            fields[RateLimiter.remainingHeader] = String(status.remaining)
            fields[RateLimiter.resetHeader] = String(Int64(status.resetAt.rounded(.down)))
            fields[RateLimiter.policyHeader] = status.policy.headerValue
            if status.exceeded {
                fields[.retryAfter] = String(max(1, Int64((status.resetAt - now.timeIntervalSince1970).rounded(.up))))
            }
            return fields
        }
    }

    static let limitHeader = HTTPField.Name("RateLimit-Limit")!
    static let remainingHeader = HTTPField.Name("RateLimit-Remaining")!
    static let resetHeader = HTTPField.Name("RateLimit-Reset")!
    static let policyHeader = HTTPField.Name("RateLimit-Policy")!

    /// Consumes `points` from each policy's window for `key` and counts refusals under `route`.
    public func consume(_ policies: [RateLimitPolicy], key: String, points: Int = 1, route: String, now: Date = Date()) -> Decision {
        let time = now.timeIntervalSince1970
        var statuses: [Status] = []
        statuses.reserveCapacity(policies.count)
        for policy in policies {
            let windowKey = policy.name + "|" + key
            let shard = shards[Int(UInt(bitPattern: windowKey.hashValue) % UInt(shards.count))]
            let status: Status = shard.state.withLock { shard in
                let fresh = Window(start: time, end: time + Double(policy.windowSeconds), consumed: 0)
                var window = shard.windows[windowKey] ?? fresh
                if time >= window.end || time < window.start {
                    window = fresh
                }
                window.consumed += points
                shard.windows[windowKey] = window
                if shard.windows.count >= shard.sweepAt {
                    shard.windows = shard.windows.filter { _, value in time < value.end }
                    shard.sweepAt = max(Self.sweepThreshold, shard.windows.count * 2)
                }
                return Status(
                    policy: policy, remaining: max(0, policy.points - window.consumed),
                    resetAt: window.end, exceeded: window.consumed > policy.points)
            }
            statuses.append(status)
        }
        let decision = Decision(statuses: statuses)
        if let exceeded = decision.exceeded {
            Counter(
                label: "pds_rate_limit_rejections_total",
                dimensions: [("limiter", exceeded.policy.name), ("route", route)],
                factory: metricsFactory
            ).increment()
        }
        return decision
    }

    /// How many windows are kept (tests and diagnostics).
    var windowCount: Int { shards.reduce(0) { $0 + $1.state.withLock { $0.windows.count } } }

    /// For handlers: consumes `points` for `key` when limits are enabled, throws 429 `RateLimitExceeded` (with
    /// the `RateLimit-*` headers) when a policy is exceeded, and returns the headers to send otherwise.
    @discardableResult
    public func enforce(_ policies: [RateLimitPolicy], key: String, points: Int = 1, route: String) throws(XRPCError) -> HTTPFields {
        guard settings.enabled else { return [:] }
        let decision = consume(policies, key: key, points: points, route: route)
        if decision.exceeded != nil {
            throw XRPCError.rateLimitExceeded(headers: decision.headers())
        }
        return decision.headers()
    }

    /// Whether a request skips every limit: limits disabled, the bypass header, or a bypass address.
    public func isBypassed(bypassHeader: String?, clientIP: String) -> Bool {
        guard settings.enabled else { return true }
        if let key = settings.bypassKey, !key.isEmpty, let given = bypassHeader,
            PasswordHasher.constantTimeEqual(Array(given.utf8), Array(key.utf8))
        {
            return true
        }
        return settings.bypassIPs.contains(clientIP)
    }
}
