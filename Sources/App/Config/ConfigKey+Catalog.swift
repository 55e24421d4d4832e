// MARK: - Every setting pds reads

extension ConfigKey {
    static let hostname = ConfigKey(
        "server.hostname", env: "PDS_HOSTNAME", flag: "--hostname", kind: .string, default: "localhost",
        help: "Public host name of this PDS (its service DID is did:web:<hostname>).")
    static let port = ConfigKey(
        "server.port", env: "PDS_PORT", flag: "--port", kind: .integer, default: "2583",
        help: "TCP port to listen on (0 picks a free port and logs it).")
    static let bindAddress = ConfigKey(
        "server.bind_address", env: "PDS_BIND_ADDRESS", flag: "--bind", kind: .string, default: "127.0.0.1",
        help: "IP address to listen on (0.0.0.0 or :: for all interfaces).")
    static let serviceDID = ConfigKey(
        "server.service_did", env: "PDS_SERVICE_DID", kind: .string, default: "did:web:<hostname>",
        help: "DID of this service, used as the audience of tokens.")
    static let inviteRequired = ConfigKey(
        "server.invite_required", env: "PDS_INVITE_REQUIRED", kind: .boolean, default: "true",
        help: "Whether creating an account needs an invite code.")
    static let serviceHandleDomains = ConfigKey(
        "server.service_handle_domains", env: "PDS_SERVICE_HANDLE_DOMAINS", kind: .stringList,
        default: ".<hostname> (.test on localhost)",
        help: "Handle suffixes offered to new accounts; each starts with a dot (env: comma separated).")
    static let blobUploadLimit = ConfigKey(
        "server.blob_upload_limit", env: "PDS_BLOB_UPLOAD_LIMIT", kind: .integer, default: "104857600",
        help: "Largest blob upload in bytes.")
    static let contactEmail = ConfigKey(
        "server.contact_email_address", env: "PDS_CONTACT_EMAIL_ADDRESS", kind: .string, default: "(none)",
        help: "Contact address shown by describeServer.")
    static let privacyPolicyURL = ConfigKey(
        "server.privacy_policy_url", env: "PDS_PRIVACY_POLICY_URL", kind: .string, default: "(none)",
        help: "Privacy policy link shown by describeServer.")
    static let termsOfServiceURL = ConfigKey(
        "server.terms_of_service_url", env: "PDS_TERMS_OF_SERVICE_URL", kind: .string, default: "(none)",
        help: "Terms of service link shown by describeServer.")
    static let shutdownGraceSeconds = ConfigKey(
        "server.shutdown_grace_seconds", env: "PDS_SHUTDOWN_GRACE_SECONDS", kind: .integer, default: "10",
        help: "On SIGTERM/SIGINT, how long in-flight requests may finish before the process exits.")

    static let dataDirectory = ConfigKey(
        "storage.data_directory", env: "PDS_DATA_DIRECTORY", flag: "--data-dir", kind: .string, default: "./data",
        help: "Folder for pds.sqlite, blobs and secrets.toml (created with mode 0700).")
    static let diskFreeFloorBytes = ConfigKey(
        "storage.disk_free_floor_bytes", env: "PDS_DISK_FREE_FLOOR_BYTES", kind: .integer, default: "1073741824",
        help: "Readiness fails when the data folder's file system has less free space than this.")

    static let jwtSecret = ConfigKey(
        "secrets.jwt_secret", env: "PDS_JWT_SECRET", kind: .string, secret: true, default: "generated",
        help: "HMAC key for session tokens.")
    static let adminPassword = ConfigKey(
        "secrets.admin_password", env: "PDS_ADMIN_PASSWORD", kind: .string, secret: true, default: "generated",
        help: "Password for admin endpoints (HTTP Basic, user 'admin'); printed once when generated.")
    static let plcRotationKey = ConfigKey(
        "secrets.plc_rotation_key_k256_private_key_hex", env: "PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX",
        kind: .string, secret: true, default: "generated",
        help: "Server PLC rotation key: 32-byte secp256k1 private key as 64 hex digits.")

    static let didPLCURL = ConfigKey(
        "identity.did_plc_url", env: "PDS_DID_PLC_URL", kind: .string, default: "https://plc.directory",
        help: "PLC directory used to create and resolve did:plc identities.")

    static let appViewURL = ConfigKey(
        "proxy.app_view_url", env: "PDS_BSKY_APP_VIEW_URL", kind: .string, default: "https://api.bsky.app (none on localhost)",
        help: "AppView that XRPC methods without a local handler are forwarded to, with a service token ('none': no forwarding).")
    static let appViewDID = ConfigKey(
        "proxy.app_view_did", env: "PDS_BSKY_APP_VIEW_DID", kind: .string, default: "did:web:api.bsky.app (for the default URL)",
        help: "DID of that AppView (the tokens' audience); needed when the URL is not the default.")
    static let reportServiceURL = ConfigKey(
        "proxy.report_service_url", env: "PDS_REPORT_SERVICE_URL", kind: .string, default: "https://mod.bsky.app (none on localhost)",
        help: "Moderation service that com.atproto.moderation.createReport is forwarded to ('none': to the AppView).")
    static let reportServiceDID = ConfigKey(
        "proxy.report_service_did", env: "PDS_REPORT_SERVICE_DID", kind: .string,
        default: "did:plc:ar7c4by46qjdydhdevvrndac (for the default URL)",
        help: "DID of that moderation service; needed when the URL is not the default.")

    static let emailSendmailPath = ConfigKey(
        "email.sendmail_path", env: "PDS_EMAIL_SENDMAIL_PATH", kind: .string, default: "(none)",
        help: "sendmail-compatible program (Postfix, msmtp...) that sends the account emails (codes for email confirmation, password reset, account deletion, PLC signing); unset: no email.")
    static let emailFromAddress = ConfigKey(
        "email.from_address", env: "PDS_EMAIL_FROM_ADDRESS", kind: .string, default: "(none)",
        help: "From address of those emails; needed with PDS_EMAIL_SENDMAIL_PATH.")

    static let crawlers = ConfigKey(
        "firehose.crawlers", env: "PDS_CRAWLERS", kind: .stringList, default: "(none)",
        help: "Relays asked to crawl this PDS (env: comma separated URLs), e.g. https://bsky.network.")
    static let firehoseRetentionHours = ConfigKey(
        "firehose.retention_hours", env: "PDS_FIREHOSE_RETENTION_HOURS", kind: .integer, default: "72",
        help: "How long firehose events are kept for replay.")
    static let firehoseOutboxEvents = ConfigKey(
        "firehose.outbox_events", env: "PDS_FIREHOSE_OUTBOX_EVENTS", kind: .integer, default: "1000",
        help: "Live events a firehose subscriber may have queued; one that falls further behind gets ConsumerTooSlow and is disconnected.")
    static let blobGCGraceHours = ConfigKey(
        "blobs.gc_grace_hours", env: "PDS_BLOB_GC_GRACE_HOURS", kind: .integer, default: "6",
        help: "How long an uploaded blob may stay unreferenced by any record before it is deleted.")
    static let backupDirectory = ConfigKey(
        "backup.directory", env: "PDS_BACKUP_DIRECTORY", kind: .string, default: "(none)",
        help: "Folder for scheduled backups (one timestamped subfolder each); unset: no scheduled backups.")
    static let backupIntervalHours = ConfigKey(
        "backup.interval_hours", env: "PDS_BACKUP_INTERVAL_HOURS", kind: .integer, default: "24",
        help: "Hours between scheduled backups (the first one is taken at start when the newest is older).")
    static let backupKeep = ConfigKey(
        "backup.keep", env: "PDS_BACKUP_KEEP", kind: .integer, default: "7",
        help: "Scheduled backups kept; older ones are deleted after each new backup.")

    static let rateLimitsEnabled = ConfigKey(
        "rate_limits.enabled", env: "PDS_RATE_LIMITS_ENABLED", kind: .boolean, default: "true",
        help: "Apply the reference PDS's per-IP, per-identifier and per-account rate limits (429 RateLimitExceeded).")
    static let rateLimitBypassKey = ConfigKey(
        "rate_limits.bypass_key", env: "PDS_RATE_LIMIT_BYPASS_KEY", kind: .string, secret: true, default: "(none)",
        help: "Requests with the header x-ratelimit-bypass set to this value skip every rate limit.")
    static let rateLimitBypassIPs = ConfigKey(
        "rate_limits.bypass_ips", env: "PDS_RATE_LIMIT_BYPASS_IPS", kind: .stringList, default: "(none)",
        help: "Client addresses that skip every rate limit (env: comma separated).")
    static let trustForwardedFor = ConfigKey(
        "rate_limits.trust_forwarded_for", env: "PDS_TRUST_FORWARDED_FOR", kind: .boolean, default: "true",
        help: "Take the client address from X-Forwarded-For when the connection comes from a loopback, link-local or private address (a reverse proxy).")

    static let logLevel = ConfigKey(
        "log.level", env: "PDS_LOG_LEVEL", flag: "--log-level", kind: .string, default: "info",
        help: "trace, debug, info, notice, warning, error or critical.")
    static let logFormat = ConfigKey(
        "log.format", env: "PDS_LOG_FORMAT", flag: "--log-format", kind: .string, default: "auto",
        help: "auto (journald under systemd, else logfmt), logfmt, json or journald.")

    static let acceptingRepoImports = ConfigKey(
        "server.accepting_repo_imports", env: "PDS_ACCEPTING_REPO_IMPORTS", kind: .boolean, default: "true",
        help: "Whether accounts may import a repository (com.atproto.repo.importRepo, account migration).")
    static let maxRepoImportSize = ConfigKey(
        "server.max_repo_import_size", env: "PDS_MAX_REPO_IMPORT_SIZE", kind: .integer, default: "104857600",
        help: "Largest CAR file importRepo accepts, in bytes.")

    /// In the order `check-config` prints them.
    static let all: [ConfigKey] = [
        hostname, port, bindAddress, serviceDID, inviteRequired, serviceHandleDomains, blobUploadLimit,
        contactEmail, privacyPolicyURL, termsOfServiceURL, shutdownGraceSeconds, acceptingRepoImports, maxRepoImportSize,
        dataDirectory, diskFreeFloorBytes,
        jwtSecret, adminPassword, plcRotationKey,
        didPLCURL,
        appViewURL, appViewDID, reportServiceURL, reportServiceDID,
        emailSendmailPath, emailFromAddress,
        crawlers, firehoseRetentionHours, firehoseOutboxEvents, blobGCGraceHours,
        backupDirectory, backupIntervalHours, backupKeep,
        rateLimitsEnabled, rateLimitBypassKey, rateLimitBypassIPs, trustForwardedFor,
        logLevel, logFormat,
    ]

    static let secrets: [ConfigKey] = all.filter(\.secret)

    static func named(toml: String) -> ConfigKey? { all.first { $0.toml == toml } }
}
