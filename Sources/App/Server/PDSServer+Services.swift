import ATProto
import Foundation
import CoreMetrics
import Endpoints
import Logging
import Storage

extension PDSServer {
    /// The account, repository and auth services of `pds serve`, built from the configuration's secrets (already
    /// resolved from the config file, the environment or the generated secrets file).
    func makeServices(
        database: Storage.Database, settings: ServerSettings, metricsFactory: any MetricsFactory, logger: Logger
    ) throws(ConfigError) -> PDSServices {
        guard let jwtSecret = config.jwtSecret, let adminPassword = config.adminPassword,
            let rotationKeyHex = config.plcRotationKeyHex
        else { throw ConfigError("the JWT secret, admin password and PLC rotation key must be set or generated") }
        let rotationKey: K256PrivateKey
        do {
            rotationKey = try K256PrivateKey(hex: rotationKeyHex)
        } catch {
            throw ConfigError("\(ConfigKey.plcRotationKey.env): not a valid secp256k1 private key")
        }
        let blobs: DiskBlobStore
        do {
            blobs = try DiskBlobStore(
                root: URL(fileURLWithPath: config.dataDirectory).appendingPathComponent("blobs"), database: database)
        } catch {
            throw ConfigError("cannot open the blob store: \(error)")
        }
        return PDSServices(
            database: database,
            secrets: ServerSecrets(
                jwtSecret: Array(jwtSecret.utf8), adminPassword: adminPassword, plcRotationKey: rotationKey),
            serviceDID: settings.serviceDID,
            metricsFactory: metricsFactory,
            rateLimits: rateLimitSettings(),
            logger: logger,
            plc: HTTPPLCClient(
                settings: HTTPPLCClient.Settings(directoryURL: config.didPLCURL), metricsFactory: metricsFactory,
                logger: logger),
            blobs: blobs,
            mailer: config.emailSendmailPath.map { SendmailMailer(path: $0, from: config.emailFromAddress ?? "") })
    }

    /// The rate limits (`rate_limits.*`): the reference's limits, on by default as its distribution ships them;
    /// `X-Forwarded-For` is trusted from proxy addresses (loopback, link-local, private) unless turned off.
    func rateLimitSettings() -> RateLimitSettings {
        RateLimitSettings(
            enabled: config.rateLimitsEnabled, bypassKey: config.rateLimitBypassKey,
            bypassIPs: Set(config.rateLimitBypassIPs), trustForwardedFor: config.trustForwardedFor)
    }
}
