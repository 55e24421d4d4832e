/// Plain values the HTTP layer needs, filled by the App from its configuration.
public struct ServerSettings: Sendable {
    /// Public host name, e.g. `"pds.example.com"` or `"localhost"`.
    public var hostname: String
    /// Address to bind, e.g. `"127.0.0.1"`.
    public var bindAddress: String
    /// Port to bind; 0 picks a free port (tests).
    public var port: Int
    /// `"https://<hostname>"`, or `"http://localhost:<port>"` in development.
    public var publicURL: String
    /// Where XRPC methods without a local handler are forwarded (``ServiceProxy``).
    public var proxy: ProxySettings
    /// The service DID, `"did:web:<hostname>"` by default.
    public var serviceDID: String
    public var version: String
    public var revision: String
    /// Largest request body (JSON and other non-blob inputs) in bytes; beyond it: 413 `PayloadTooLarge`.
    public var maxRequestBodyBytes: Int
    /// Largest blob upload in bytes (reported by describeServer, enforced by uploadBlob).
    public var blobUploadLimit: Int
    public var inviteRequired: Bool
    /// Handle domains users may register under, each with a leading dot (`".example.com"`).
    public var serviceHandleDomains: [String]
    public var contactEmail: String?
    public var privacyPolicyURL: String?
    public var termsOfServiceURL: String?
    /// Responses smaller than this are sent uncompressed.
    public var gzipMinimumBytes: Int
    /// zlib compression level, 1 (fast) to 9 (small).
    public var gzipLevel: Int
    /// How long in-flight requests may take to finish after shutdown begins.
    public var shutdownGracePeriod: Duration
    /// How long `/xrpc/_health` reuses a readiness result. `/readyz` always runs the checks.
    public var healthCacheTTL: Duration
    /// The text of `GET /`.
    public var banner: String
    /// Whether `com.atproto.repo.importRepo` is served (`PDS_ACCEPTING_REPO_IMPORTS`).
    public var acceptingRepoImports: Bool
    /// Largest CAR body of `importRepo` in bytes; beyond it: 413 `PayloadTooLarge`.
    public var maxRepoImportBytes: Int
    /// Whether each request's handler prefers its connection's event loop as task executor
    /// (``EventLoopTaskExecutor``). `pds serve` sets it when NIO's event loops are Swift concurrency's global
    /// executor; in-process tests leave it off (their connections may have no running loop).
    public var handlersOnConnectionLoop = false

    public init(
        hostname: String = "localhost",
        bindAddress: String = "127.0.0.1",
        port: Int = 2583,
        publicURL: String? = nil,
        serviceDID: String? = nil,
        version: String = "0.0.0",
        revision: String = "unknown",
        maxRequestBodyBytes: Int = 1_048_576,
        blobUploadLimit: Int = 104_857_600,
        inviteRequired: Bool = true,
        serviceHandleDomains: [String]? = nil,
        contactEmail: String? = nil,
        privacyPolicyURL: String? = nil,
        termsOfServiceURL: String? = nil,
        gzipMinimumBytes: Int = 1024,
        gzipLevel: Int = 6,
        shutdownGracePeriod: Duration = .seconds(10),
        healthCacheTTL: Duration = .seconds(1),
        banner: String? = nil,
        acceptingRepoImports: Bool = true,
        maxRepoImportBytes: Int = 104_857_600,
        proxy: ProxySettings = ProxySettings()
    ) {
        self.proxy = proxy
        self.hostname = hostname
        self.bindAddress = bindAddress
        self.port = port
        self.publicURL = publicURL ?? (hostname == "localhost" ? "http://localhost:\(port)" : "https://\(hostname)")
        self.serviceDID = serviceDID ?? "did:web:\(hostname)"
        self.version = version
        self.revision = revision
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.blobUploadLimit = blobUploadLimit
        self.inviteRequired = inviteRequired
        self.serviceHandleDomains = serviceHandleDomains ?? [hostname == "localhost" ? ".test" : ".\(hostname)"]
        self.contactEmail = contactEmail
        self.privacyPolicyURL = privacyPolicyURL
        self.termsOfServiceURL = termsOfServiceURL
        self.gzipMinimumBytes = gzipMinimumBytes
        self.gzipLevel = gzipLevel
        self.shutdownGracePeriod = shutdownGracePeriod
        self.healthCacheTTL = healthCacheTTL
        self.acceptingRepoImports = acceptingRepoImports
        self.maxRepoImportBytes = maxRepoImportBytes
        self.banner =
            banner
            ?? "This is an AT Protocol Personal Data Server (SwiftPDS \(version)): https://atproto.com\n\nMost API routes are under /xrpc/\n"
    }
}
