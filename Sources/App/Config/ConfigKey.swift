/// One configuration setting: its TOML key, environment variable, command-line flag, type and meaning.
/// The catalog (``ConfigKey/all``) drives parsing, `pds check-config` output and the README table.
struct ConfigKey: Sendable, Hashable {
    enum Kind: String, Sendable {
        case string, integer, boolean, stringList = "list of strings"
    }

    /// Dotted TOML key, e.g. `server.hostname`.
    let toml: String
    /// Environment variable, e.g. `PDS_HOSTNAME`.
    let env: String
    /// Command-line flag of `pds serve`, if any, e.g. `--hostname`.
    let flag: String?
    let kind: Kind
    /// Masked as `****` in output; comes from the secrets file when not configured.
    let secret: Bool
    /// Human-readable default for docs and `check-config`.
    let defaultText: String
    let help: String

    init(
        _ toml: String, env: String, flag: String? = nil, kind: Kind, secret: Bool = false,
        default defaultText: String, help: String
    ) {
        self.toml = toml
        self.env = env
        self.flag = flag
        self.kind = kind
        self.secret = secret
        self.defaultText = defaultText
        self.help = help
    }

    /// `server` for `server.hostname`.
    var table: String { String(toml.split(separator: ".").first ?? "") }
    /// `hostname` for `server.hostname`.
    var name: String { String(toml.split(separator: ".").dropFirst().joined(separator: ".")) }

    static func == (lhs: ConfigKey, rhs: ConfigKey) -> Bool { lhs.toml == rhs.toml }
    func hash(into hasher: inout Hasher) { hasher.combine(toml) }
}
