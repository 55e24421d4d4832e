import ATProto
import CoreMetrics
import Logging
import Storage

/// The server's secrets (from the secrets file or the environment; never logged).
public struct ServerSecrets: Sendable {
    /// HMAC key of the session JWTs (`PDS_JWT_SECRET`, its UTF-8 bytes as the reference uses them).
    public var jwtSecret: [UInt8]
    /// Password of the `admin` user of HTTP Basic admin auth (`PDS_ADMIN_PASSWORD`).
    public var adminPassword: String
    /// The server's PLC rotation key (`PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX`).
    public var plcRotationKey: K256PrivateKey

    public init(jwtSecret: [UInt8], adminPassword: String, plcRotationKey: K256PrivateKey) {
        self.jwtSecret = jwtSecret
        self.adminPassword = adminPassword
        self.plcRotationKey = plcRotationKey
    }
}

/// Everything the account, session and repository endpoints share: the database and its stores, the secrets,
/// and the auth machinery (session JWTs, password hashing, rate limits). Built once by `pds serve` (and per test)
/// and passed to the HTTP layer in ``ServerDependencies/services``.
///
/// Handlers authenticate with ``requireAccess(_:allowTakendown:allowDeactivated:level:)``,
/// ``optionalAccess(_:allowTakendown:allowDeactivated:level:)`` and ``requireAdmin(_:)``.
public final class PDSServices: Sendable {
    public let database: Storage.Database
    public let accounts: AccountStore
    public let repos: RepoStore
    public let secrets: ServerSecrets
    /// The service DID: the `aud` of every session token.
    public let serviceDID: String
    /// Issues and verifies session tokens.
    public let jwt: SessionJWT
    /// scrypt hashing of account and app passwords (off the cooperative pool).
    public let passwords: PasswordHasher
    /// The in-memory rate limits.
    public let rateLimiter: RateLimiter
    let authMetrics: AuthMetrics
    /// The did:plc directory new accounts are registered with (`PDS_DID_PLC_URL`).
    public let plc: any PLCClient
    let accountMetrics: AccountMetrics
    /// Resolves handles hosted elsewhere (DNS TXT, HTTPS well-known) for `resolveHandle`.
    public let handleResolver: HandleResolver
    /// Resolves DIDs to their documents (service-auth issuers, migrating accounts).
    public let didResolver: DIDResolver
    /// Verifies inbound inter-service JWTs.
    public let serviceAuth: ServiceAuthVerifier
    /// Where uploaded blobs live (nil: no `uploadBlob`; released blobs' files are then left alone).
    public let blobs: (any BlobStore)?
    /// Sends the account emails (codes); nil: the email flows answer that this server sends no email.
    public let mailer: (any Mailer)?
    /// Logs failures the services handle themselves (a storage error during authentication).
    public let logger: Logger

    /// - Parameters:
    ///   - database: an open, migrated database; the repository and account stores are built on it.
    ///   - serviceDID: the server's DID (`ServerSettings.serviceDID`).
    ///   - metricsFactory: where auth and rate-limit metrics go (`TelemetryMetrics.factory`).
    ///   - rateLimits: the rate-limit settings (off unless enabled).
    ///   - passwords: the password hasher (tests may pass one with a lower scrypt cost).
    ///   - logger: for failures the services log themselves.
    ///   - plc: the PLC directory client (default: ``HTTPPLCClient`` for https://plc.directory).
    ///   - blobs: the blob store (`<data>/blobs`); nil leaves `uploadBlob` unregistered.
    ///   - handleResolver: resolves other servers' handles (default: DNS through /etc/resolv.conf and HTTPS).
    ///   - didResolver: resolves DID documents (default: did:plc through `plc`, did:web over HTTPS).
    ///   - mailer: sends the account emails (nil: none are sent and the email flows say so).
    public init(
        database: Storage.Database,
        secrets: ServerSecrets,
        serviceDID: String,
        metricsFactory: any MetricsFactory,
        rateLimits: RateLimitSettings = .disabled,
        passwords: PasswordHasher = PasswordHasher(),
        logger: Logger = Logger(label: "pds.services"),
        plc: (any PLCClient)? = nil,
        blobs: (any BlobStore)? = nil,
        handleResolver: HandleResolver? = nil,
        didResolver: DIDResolver? = nil,
        mailer: (any Mailer)? = nil
    ) {
        self.mailer = mailer
        self.database = database
        self.repos = RepoStore(database: database)
        self.accounts = AccountStore(repos: repos)
        self.secrets = secrets
        self.serviceDID = serviceDID
        self.jwt = SessionJWT(secret: secrets.jwtSecret, serviceDID: serviceDID)
        self.passwords = passwords
        self.rateLimiter = RateLimiter(settings: rateLimits, metricsFactory: metricsFactory)
        self.authMetrics = AuthMetrics(factory: metricsFactory)
        self.logger = logger
        self.plc = plc ?? HTTPPLCClient(metricsFactory: metricsFactory, logger: logger)
        self.accountMetrics = AccountMetrics(factory: metricsFactory)
        self.blobs = blobs
        self.handleResolver = handleResolver ?? HandleResolver(metricsFactory: metricsFactory, logger: logger)
        let didResolver = didResolver ?? DIDResolver(plc: self.plc, metricsFactory: metricsFactory, logger: logger)
        self.didResolver = didResolver
        self.serviceAuth = ServiceAuthVerifier(serviceDID: serviceDID, resolver: didResolver)
    }
}
