/// How the server applies its in-memory rate limits (the reference's `PDS_RATE_LIMITS_ENABLED`,
/// `PDS_RATE_LIMIT_BYPASS_KEY`, `PDS_RATE_LIMIT_BYPASS_IPS`).
public struct RateLimitSettings: Sendable, Hashable {
    /// When false no limit applies and no `RateLimit-*` header is sent.
    public var enabled: Bool
    /// A request with `x-ratelimit-bypass: <key>` skips every limit.
    public var bypassKey: String?
    /// Client addresses that skip every limit.
    public var bypassIPs: Set<String>
    /// Take the client address from `X-Forwarded-For` when the connection comes from a loopback, link-local or
    /// private address (a reverse proxy on the same host or network). Off: the connection's address is the client.
    public var trustForwardedFor: Bool

    public init(enabled: Bool = true, bypassKey: String? = nil, bypassIPs: Set<String> = [], trustForwardedFor: Bool = false) {
        self.enabled = enabled
        self.bypassKey = bypassKey
        self.bypassIPs = bypassIPs
        self.trustForwardedFor = trustForwardedFor
    }

    /// No limits at all.
    public static let disabled = RateLimitSettings(enabled: false)

    /// The request header carrying the bypass key.
    public static let bypassHeaderName = "x-ratelimit-bypass"
}
