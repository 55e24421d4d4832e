import Foundation

/// Reads the configuration layers in order (defaults < secrets file < TOML file < environment < flags)
/// and validates the result.
struct ConfigLoader: Sendable {
    /// `--config FILE`, else `PDS_CONFIG_FILE`, else none.
    var configFile: String?
    var environment: [String: String]
    var flags: [ConfigKey: String]

    init(configFile: String?, environment: [String: String], flags: [ConfigKey: String]) {
        self.configFile = configFile ?? environment["PDS_CONFIG_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        self.environment = environment
        self.flags = flags
    }

    /// The effective configuration with secrets from the secrets file filled in where present.
    /// Creates nothing on disk.
    func load() throws(ConfigError) -> LoadedConfig {
        var sources = ConfigSources()
        if let configFile {
            try sources.apply(file: Self.readTOML(configFile), path: configFile)
        }
        sources.apply(environment: environment)
        sources.apply(flags: flags)
        let withoutSecrets = try PDSConfig(sources: sources)
        let secretsFile = SecretsFile(dataDirectory: withoutSecrets.dataDirectory)
        if let document = try secretsFile.load() {
            try sources.apply(secretsFile: document, path: secretsFile.path)
        }
        return LoadedConfig(
            config: try PDSConfig(sources: sources), sources: sources, secretsFile: secretsFile, configFile: configFile)
    }

    static func readTOML(_ path: String) throws(ConfigError) -> TOMLDocument {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read it as UTF-8 text" : "no such file"
            throw ConfigError("--config \(path): \(reason)")
        }
        do {
            return try TOMLDocument(parsing: text)
        } catch {
            throw ConfigError("\(path) line \(error.line): \(error.message)")
        }
    }
}
