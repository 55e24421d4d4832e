// MARK: - check-config output

extension LoadedConfig {
    /// The effective configuration as TOML, one setting per line with where it came from.
    /// Secrets are printed as `"****"`; a secret not set anywhere yet is shown as generated on first start.
    func renderEffective() -> String {
        var lines: [String] = ["# Effective pds configuration (secrets masked)."]
        lines.append("# Precedence: defaults < \(secretsFile.path) < config file < PDS_* environment < flags.")
        if let configFile {
            lines.append("# Config file: \(configFile)")
        } else {
            lines.append("# Config file: none (use --config FILE or PDS_CONFIG_FILE)")
        }
        var table = ""
        for key in ConfigKey.all {
            if key.table != table {
                table = key.table
                lines.append("")
                lines.append("[\(table)]")
            }
            let origin = sources[key].map { "\($0.origin)" } ?? "default"
            guard let value = config.value(for: key) else {
                if key.secret {
                    lines.append("# \(key.name) is not set: generated into \(secretsFile.path) on first start")
                } else {
                    lines.append("# \(key.name) is not set")
                }
                continue
            }
            let text = key.secret ? "\"****\"" : value.tomlText
            lines.append("\(key.name) = \(text)  # \(origin)")
        }
        if !sources.ignoredEnvironment.isEmpty {
            lines.append("")
            lines.append("# Ignored (not settings of this pds): \(sources.ignoredEnvironment.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
