#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ATProto
import Endpoints
import Logging

/// The effective, validated configuration of `pds` (see ``ConfigKey`` for every setting).
struct PDSConfig: Sendable, Equatable {
    var hostname = "localhost"
    var port = 2583
    var bindAddress = "127.0.0.1"
    var serviceDID: String?
    var inviteRequired = true
    var serviceHandleDomains: [String]?
    var blobUploadLimit = 104_857_600
    var contactEmail: String?
    var privacyPolicyURL: String?
    var termsOfServiceURL: String?
    var shutdownGraceSeconds = 10

    var dataDirectory = "./data"
    var diskFreeFloorBytes = 1 << 30

    var jwtSecret: String?
    var adminPassword: String?
    var plcRotationKeyHex: String?

    var didPLCURL = "https://plc.directory"

    /// Proxy targets as configured: nil URL means the default (Bluesky's on a public host name, none on
    /// localhost), "none" means none.
    var appViewURL: String?
    var appViewDID: String?
    var reportServiceURL: String?
    var reportServiceDID: String?

    var emailSendmailPath: String?
    var emailFromAddress: String?
    static let defaultAppView = ProxySettings.Service(url: "https://api.bsky.app", did: "did:web:api.bsky.app")
    static let defaultReportService = ProxySettings.Service(url: "https://mod.bsky.app", did: "did:plc:ar7c4by46qjdydhdevvrndac")

    var crawlers: [String] = []
    var firehoseRetentionHours = 72
    var firehoseOutboxEvents = 1_000
    var blobGCGraceHours = 6

    var backupDirectory: String?
    var backupIntervalHours = 24
    var backupKeep = 7

    var rateLimitsEnabled = true
    var rateLimitBypassKey: String?
    var rateLimitBypassIPs: [String] = []
    var trustForwardedFor = true

    var logLevel: Logger.Level = .info
    var logFormat = "auto"

    var acceptingRepoImports = true
    var maxRepoImportSize = 104_857_600

    static let logFormats = ["auto", "logfmt", "json", "journald"]

    init() {}

    /// Converts and validates every layer; the first problem is thrown as a one-line ``ConfigError``.
    init(sources: ConfigSources) throws(ConfigError) {
        if let value = sources.string(.hostname) {
            guard Self.isValidHostname(value) else {
                throw sources.problem(.hostname, "must be a lower-case DNS name like pds.example.com, got '\(value)'")
            }
            hostname = value
        }
        if let value = try sources.integer(.port, in: 0...65535) { port = value }
        if let value = sources.string(.bindAddress) {
            guard Self.isIPAddress(value) else {
                throw sources.problem(.bindAddress, "must be an IPv4 or IPv6 address like 127.0.0.1 or ::, got '\(value)'")
            }
            bindAddress = value
        }
        if let value = sources.string(.serviceDID) {
            guard value.hasPrefix("did:"), value.count > 6, !value.contains(where: \.isWhitespace) else {
                throw sources.problem(.serviceDID, "must be a DID like did:web:pds.example.com, got '\(value)'")
            }
            serviceDID = value
        }
        if let value = try sources.boolean(.inviteRequired) { inviteRequired = value }
        if let value = sources.stringList(.serviceHandleDomains) {
            for domain in value {
                guard domain.hasPrefix("."), Self.isValidHostname(String(domain.dropFirst())) else {
                    throw sources.problem(
                        .serviceHandleDomains, "each domain must start with a dot, like .pds.example.com, got '\(domain)'")
                }
            }
            serviceHandleDomains = value
        }
        if let value = try sources.integer(.blobUploadLimit, in: 1...(1 << 40)) { blobUploadLimit = value }
        if let value = sources.string(.contactEmail) {
            guard value.contains("@"), !value.contains(where: \.isWhitespace) else {
                throw sources.problem(.contactEmail, "must be an email address, got '\(value)'")
            }
            contactEmail = value
        }
        privacyPolicyURL = try Self.url(.privacyPolicyURL, sources)
        termsOfServiceURL = try Self.url(.termsOfServiceURL, sources)
        if let value = try sources.integer(.shutdownGraceSeconds, in: 0...3600) { shutdownGraceSeconds = value }

        if let value = sources.string(.dataDirectory) {
            guard !value.isEmpty else { throw sources.problem(.dataDirectory, "must not be empty") }
            dataDirectory = value
        }
        if let value = try sources.integer(.diskFreeFloorBytes, in: 0...Int.max) { diskFreeFloorBytes = value }

        if let value = sources.string(.jwtSecret) {
            guard value.count >= 16 else {
                throw sources.problem(.jwtSecret, "must be at least 16 characters (64 hex digits recommended)")
            }
            jwtSecret = value
        }
        if let value = sources.string(.adminPassword) {
            guard !value.isEmpty else { throw sources.problem(.adminPassword, "must not be empty") }
            adminPassword = value
        }
        if let value = sources.string(.plcRotationKey) {
            guard Self.isK256PrivateKeyHex(value), (try? K256PrivateKey(hex: value.lowercased())) != nil else {
                throw sources.problem(
                    .plcRotationKey, "must be 64 hex digits of a valid secp256k1 private key (non-zero, below the curve order)")
            }
            plcRotationKeyHex = value.lowercased()
        }

        if let value = try Self.url(.didPLCURL, sources) { didPLCURL = value }
        (appViewURL, appViewDID) = try Self.proxyService(.appViewURL, .appViewDID, default: Self.defaultAppView, sources)
        if let value = sources.string(.emailFromAddress) {
            guard value.contains("@"), !value.contains(where: \.isWhitespace) else {
                throw sources.problem(.emailFromAddress, "must be an email address, got '\(value)'")
            }
            emailFromAddress = value
        }
        if let value = sources.string(.emailSendmailPath) {
            guard value.hasPrefix("/") else { throw sources.problem(.emailSendmailPath, "must be an absolute path, got '\(value)'") }
            guard emailFromAddress != nil else {
                throw sources.problem(.emailSendmailPath, "is set, so \(ConfigKey.emailFromAddress.env) must be set too")
            }
            emailSendmailPath = value
        }
        (reportServiceURL, reportServiceDID) = try Self.proxyService(
            .reportServiceURL, .reportServiceDID, default: Self.defaultReportService, sources)
        if let value = sources.stringList(.crawlers) {
            for crawler in value where !Self.isHTTPURL(crawler) {
                throw sources.problem(.crawlers, "each crawler must be an http(s) URL, got '\(crawler)'")
            }
            crawlers = value
        }
        if let value = try sources.integer(.firehoseRetentionHours, in: 1...(24 * 3650)) {
            firehoseRetentionHours = value
        }
        if let value = try sources.integer(.firehoseOutboxEvents, in: 10...1_000_000) {
            firehoseOutboxEvents = value
        }
        if let value = try sources.integer(.blobGCGraceHours, in: 1...(24 * 365)) {
            blobGCGraceHours = value
        }
        if let value = sources.string(.backupDirectory) {
            guard !value.isEmpty else { throw sources.problem(.backupDirectory, "must not be empty") }
            backupDirectory = value
        }
        if let value = try sources.integer(.backupIntervalHours, in: 1...(24 * 365)) { backupIntervalHours = value }
        if let value = try sources.integer(.backupKeep, in: 1...10_000) { backupKeep = value }

        if let value = try sources.boolean(.rateLimitsEnabled) { rateLimitsEnabled = value }
        if let value = sources.string(.rateLimitBypassKey) {
            guard value.count >= 16 else { throw sources.problem(.rateLimitBypassKey, "must be at least 16 characters") }
            rateLimitBypassKey = value
        }
        if let value = sources.stringList(.rateLimitBypassIPs) { rateLimitBypassIPs = value.map { $0.lowercased() } }
        if let value = try sources.boolean(.trustForwardedFor) { trustForwardedFor = value }
        if let value = try sources.boolean(.acceptingRepoImports) { acceptingRepoImports = value }
        if let value = try sources.integer(.maxRepoImportSize, in: 1...(1 << 40)) { maxRepoImportSize = value }

        if let value = sources.string(.logLevel) {
            guard let level = Self.logLevel(named: value) else {
                throw sources.problem(
                    .logLevel, "must be one of trace, debug, info, notice, warning, error, critical; got '\(value)'")
            }
            logLevel = level
        }
        if let value = sources.string(.logFormat) {
            guard Self.logFormats.contains(value) else {
                throw sources.problem(.logFormat, "must be one of auto, logfmt, json, journald; got '\(value)'")
            }
            logFormat = value
        }
    }

    // MARK: Derived values

    /// `did:web:<hostname>` unless configured.
    var effectiveServiceDID: String { serviceDID ?? "did:web:\(hostname)" }

    /// `.test` on localhost, else `.<hostname>`, unless configured.
    var effectiveServiceHandleDomains: [String] {
        serviceHandleDomains ?? (hostname == "localhost" ? [".test"] : [".\(hostname)"])
    }

    /// `http://localhost:<port>` for localhost, else `https://<hostname>` (as the reference PDS).
    var publicURL: String {
        hostname == "localhost" ? "http://localhost:\(port)" : "https://\(hostname)"
    }

    /// The AppView methods without a local handler go to (nil: none).
    var effectiveAppView: ProxySettings.Service? { Self.effective(appViewURL, appViewDID, Self.defaultAppView, hostname) }
    /// The service createReport goes to (nil: the AppView's default).
    var effectiveReportService: ProxySettings.Service? {
        Self.effective(reportServiceURL, reportServiceDID, Self.defaultReportService, hostname)
    }

    static func effective(
        _ url: String?, _ did: String?, _ fallback: ProxySettings.Service, _ hostname: String
    ) -> ProxySettings.Service? {
        guard let url else { return hostname == "localhost" ? nil : fallback }
        if url == "none" { return nil }
        return ProxySettings.Service(url: url, did: did ?? fallback.did)
    }

    /// Reads a proxy service's URL and DID: the URL is an http(s) URL or `none`; a URL other than the default needs
    /// its DID; a DID must be an atproto DID and comes with a URL.
    static func proxyService(
        _ urlKey: ConfigKey, _ didKey: ConfigKey, default fallback: ProxySettings.Service, _ sources: ConfigSources
    ) throws(ConfigError) -> (String?, String?) {
        let url = sources.string(urlKey)
        let did = sources.string(didKey)
        if let url, url != "none", !isHTTPURL(url) {
            throw sources.problem(urlKey, "must be an http(s) URL or 'none', got '\(url)'")
        }
        if let did {
            guard AtprotoDID.isValid(did) else { throw sources.problem(didKey, "must be a did:plc or did:web, got '\(did)'") }
            guard let url, url != "none" else { throw sources.problem(didKey, "is set but \(urlKey.env) is not") }
        } else if let url, url != "none", ProxySettings.Service(url: url, did: "").url != fallback.url {
            throw sources.problem(urlKey, "is not the default (\(fallback.url)), so \(didKey.env) must be set too")
        }
        return (url, did)
    }

    // MARK: Validation helpers

    static func logLevel(named name: String) -> Logger.Level? {
        switch name.lowercased() {
        case "warn": .warning
        case "fatal": .critical
        default: Logger.Level(rawValue: name.lowercased())
        }
    }

    static func url(_ key: ConfigKey, _ sources: ConfigSources) throws(ConfigError) -> String? {
        guard let value = sources.string(key) else { return nil }
        guard isHTTPURL(value) else { throw sources.problem(key, "must be an http(s) URL, got '\(value)'") }
        return value
    }

    static func isHTTPURL(_ text: String) -> Bool {
        guard !text.contains(where: \.isWhitespace) else { return false }
        for scheme in ["https://", "http://"] where text.lowercased().hasPrefix(scheme) {
            let rest = text.dropFirst(scheme.count)
            let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            return !host.isEmpty
        }
        return false
    }

    static func isValidHostname(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        }
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    static func isK256PrivateKeyHex(_ text: String) -> Bool {
        text.utf8.count == 64 && text.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit }
            && text.contains { $0 != "0" }
    }
}
