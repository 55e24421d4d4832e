import ATProto
import Foundation

/// A validated configuration plus where each value came from, ready for `serve` or `check-config`.
struct LoadedConfig: Sendable {
    var config: PDSConfig
    var sources: ConfigSources
    var secretsFile: SecretsFile
    var configFile: String?

    /// Creates the data directory (mode 0700) when it does not exist.
    func prepareDataDirectory() throws(ConfigError) {
        let path = config.dataDirectory
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw sources.problem(.dataDirectory, "'\(path)' exists and is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw sources.problem(.dataDirectory, "cannot create '\(path)': \(error.localizedDescription)")
        }
    }

    /// Generates every secret that is neither configured nor in the secrets file, and stores them (with
    /// the ones already in the file) in the secrets file with mode 0600.
    ///
    /// - Returns: the admin password when it was generated now (to print once), else nil.
    mutating func generateMissingSecrets() throws(ConfigError) -> String? {
        var generatedAdminPassword: String?
        var changed = false
        if config.jwtSecret == nil {
            config.jwtSecret = SecretsFile.randomHex(bytes: 32)
            changed = true
        }
        if config.plcRotationKeyHex == nil {
            config.plcRotationKeyHex = K256PrivateKey().hex
            changed = true
        }
        if config.adminPassword == nil {
            let password = SecretsFile.randomHex(bytes: 16)
            config.adminPassword = password
            generatedAdminPassword = password
            changed = true
        }
        guard changed else { return nil }
        // Keep what the file already has; add what was generated. Values that come from the config file or
        // the environment are never written to the secrets file.
        var stored: [(key: ConfigKey, value: String)] = []
        for key in ConfigKey.secrets {
            let value: String?
            switch sources[key]?.origin {
            case .secretsFile: value = sources.string(key)
            case nil: value = secretValue(key)
            default: value = nil
            }
            if let value { stored.append((key, value)) }
        }
        try secretsFile.write(stored)
        return generatedAdminPassword
    }

    private func secretValue(_ key: ConfigKey) -> String? {
        switch key {
        case .jwtSecret: config.jwtSecret
        case .adminPassword: config.adminPassword
        case .plcRotationKey: config.plcRotationKeyHex
        default: nil
        }
    }
}
