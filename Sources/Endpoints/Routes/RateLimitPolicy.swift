/// One rate limit: at most `points` per `windowSeconds` per key (PDS-REFERENCE §7.1).
public struct RateLimitPolicy: Sendable, Hashable {
    /// The `limiter` label of `pds_rate_limit_rejections_total` and the key namespace.
    public let name: String
    public let windowSeconds: Int
    public let points: Int

    public init(name: String, windowSeconds: Int, points: Int) {
        self.name = name
        self.windowSeconds = windowSeconds
        self.points = points
    }

    /// `RateLimit-Policy: <points>;w=<seconds>`.
    public var headerValue: String { "\(points);w=\(windowSeconds)" }

    static let minute = 60
    static let hour = 3600
    static let day = 86_400

    // MARK: The reference's limits

    /// Every XRPC call but `sync.getRepo`: 3000 per 5 minutes per IP.
    public static let globalIP = RateLimitPolicy(name: "global-ip", windowSeconds: 5 * minute, points: 3000)
    /// Repo writes, shared by every write method: 5000 points per hour per DID (create 3, update 2, delete 1).
    public static let repoWriteHour = RateLimitPolicy(name: "repo-write-hour", windowSeconds: hour, points: 5000)
    /// Repo writes: 35000 points per day per DID.
    public static let repoWriteDay = RateLimitPolicy(name: "repo-write-day", windowSeconds: day, points: 35_000)
    /// `server.createSession`: 30 per 5 minutes per identifier and IP.
    public static let createSessionShort = RateLimitPolicy(name: "create-session-5m", windowSeconds: 5 * minute, points: 30)
    /// `server.createSession`: 300 per day per identifier and IP.
    public static let createSessionDay = RateLimitPolicy(name: "create-session-day", windowSeconds: day, points: 300)
    /// `server.createAccount`: 100 per 5 minutes per IP.
    public static let createAccount = RateLimitPolicy(name: "create-account", windowSeconds: 5 * minute, points: 100)
    /// `identity.updateHandle`: 10 per 5 minutes per DID.
    public static let updateHandleShort = RateLimitPolicy(name: "update-handle-5m", windowSeconds: 5 * minute, points: 10)
    /// `identity.updateHandle`: 50 per day per DID.
    public static let updateHandleDay = RateLimitPolicy(name: "update-handle-day", windowSeconds: day, points: 50)
    /// `repo.uploadBlob`: 1000 per day per IP.
    public static let uploadBlob = RateLimitPolicy(name: "upload-blob", windowSeconds: day, points: 1000)
    /// `sync.getRepo`: 6000 per 5 minutes per IP (exempt from the global limit).
    public static let getRepo = RateLimitPolicy(name: "get-repo", windowSeconds: 5 * minute, points: 6000)
    /// `server.deleteAccount`: 50 per 5 minutes per IP.
    public static let deleteAccount = RateLimitPolicy(name: "delete-account", windowSeconds: 5 * minute, points: 50)
    /// `server.resetPassword`: 50 per 5 minutes per IP.
    public static let resetPassword = RateLimitPolicy(name: "reset-password", windowSeconds: 5 * minute, points: 50)
    /// `server.requestPasswordReset`: 15 per hour per IP.
    public static let requestPasswordResetHour = RateLimitPolicy(name: "request-password-reset-hour", windowSeconds: hour, points: 15)
    /// `server.requestPasswordReset`: 50 per day per IP.
    public static let requestPasswordResetDay = RateLimitPolicy(name: "request-password-reset-day", windowSeconds: day, points: 50)
    /// Email-sending requests (`requestAccountDelete`, `requestEmailConfirmation`, `requestEmailUpdate`): 5 per hour per DID.
    public static let emailHour = RateLimitPolicy(name: "email-hour", windowSeconds: hour, points: 5)
    /// Email-sending requests: 15 per day per DID.
    public static let emailDay = RateLimitPolicy(name: "email-day", windowSeconds: day, points: 15)

    /// The NSID that skips the global limit.
    static let globalExemptNSID = "com.atproto.sync.getRepo"

    /// Per-IP limits of individual methods, applied by ``RateLimitMiddleware`` on top of ``globalIP``.
    /// Limits keyed by DID or identifier are applied by the handlers (``RateLimiter/enforce(_:key:points:route:)``).
    static let perIPByNSID: [String: [RateLimitPolicy]] = [
        "com.atproto.server.createAccount": [.createAccount],
        "com.atproto.repo.uploadBlob": [.uploadBlob],
        "com.atproto.sync.getRepo": [.getRepo],
        "com.atproto.server.deleteAccount": [.deleteAccount],
        "com.atproto.server.resetPassword": [.resetPassword],
        "com.atproto.server.requestPasswordReset": [.requestPasswordResetHour, .requestPasswordResetDay],
    ]
}
