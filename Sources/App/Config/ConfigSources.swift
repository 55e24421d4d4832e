/// The raw configuration layers, merged by precedence as they are applied:
/// defaults < secrets file < TOML config file < environment `PDS_*` < command-line flags.
///
/// Values stay raw (typed TOML values or environment/flag text) with their origin, so that every
/// conversion error names exactly where the bad value came from.
struct ConfigSources: Sendable {
    enum Origin: Sendable, Equatable, CustomStringConvertible {
        case file(path: String, line: Int)
        case secretsFile(path: String, line: Int)
        case environment(String)
        case flag(String)

        var description: String {
            switch self {
            case .file(let path, let line): "\(path) line \(line)"
            case .secretsFile(let path, let line): "\(path) line \(line)"
            case .environment(let name): "environment \(name)"
            case .flag(let name): "flag \(name)"
            }
        }
    }

    enum Raw: Sendable, Equatable {
        case typed(TOMLValue)
        case text(String)
    }

    struct Value: Sendable, Equatable {
        var raw: Raw
        var origin: Origin
    }

    private(set) var values: [ConfigKey: Value] = [:]
    /// `PDS_*` environment variables that are not settings of this pds (ignored, listed by check-config).
    private(set) var ignoredEnvironment: [String] = []

    /// Environment variables read by pds that are not settings (kept out of `ignoredEnvironment`).
    static let otherEnvironment: Set<String> = [
        "PDS_CONFIG_FILE", "PDS_TEST_FAIL_LIVENESS_FILE", "PDS_JOURNAL_SOCKET",
    ]

    subscript(key: ConfigKey) -> Value? { values[key] }

    // MARK: Layers

    /// Applies a TOML config file: every key must be a known setting of the right type.
    mutating func apply(file document: TOMLDocument, path: String) throws(ConfigError) {
        try apply(document, path: path, secretsOnly: false, fallback: false)
    }

    /// Applies the generated secrets file below everything already set.
    mutating func apply(secretsFile document: TOMLDocument, path: String) throws(ConfigError) {
        try apply(document, path: path, secretsOnly: true, fallback: true)
    }

    private mutating func apply(
        _ document: TOMLDocument, path: String, secretsOnly: Bool, fallback: Bool
    ) throws(ConfigError) {
        let known = Set(ConfigKey.all.map(\.table))
        for (table, line) in document.tables.sorted(by: { $0.value < $1.value }) where !known.contains(table) {
            throw ConfigError("\(path) line \(line): unknown table [\(table)]")
        }
        for name in document.keys {
            guard let entry = document[name] else { continue }
            guard let key = ConfigKey.named(toml: name), !secretsOnly || key.secret else {
                throw ConfigError("\(name) (\(path) line \(entry.line)): unknown key")
            }
            let expected: String
            switch (key.kind, entry.value) {
            case (.string, .string), (.integer, .integer), (.boolean, .boolean), (.stringList, .stringArray):
                let origin: Origin =
                    secretsOnly ? .secretsFile(path: path, line: entry.line) : .file(path: path, line: entry.line)
                if !fallback || values[key] == nil {
                    values[key] = Value(raw: .typed(entry.value), origin: origin)
                }
                continue
            case (.string, _): expected = "a string"
            case (.integer, _): expected = "an integer"
            case (.boolean, _): expected = "a boolean (true or false)"
            case (.stringList, _): expected = "an array of strings"
            }
            throw ConfigError(
                "\(name) (\(path) line \(entry.line)): must be \(expected), got \(entry.value.typeName)")
        }
    }

    /// Applies `PDS_*` variables; empty values count as unset (as in the reference PDS's env files).
    mutating func apply(environment: [String: String]) {
        let byName = Dictionary(uniqueKeysWithValues: ConfigKey.all.map { ($0.env, $0) })
        for (name, text) in environment where name.hasPrefix("PDS_") {
            guard let key = byName[name] else {
                if !Self.otherEnvironment.contains(name) { ignoredEnvironment.append(name) }
                continue
            }
            if text.isEmpty { continue }
            values[key] = Value(raw: .text(text), origin: .environment(name))
        }
        ignoredEnvironment.sort()
    }

    /// Applies command-line flags (values exactly as typed).
    mutating func apply(flags: [ConfigKey: String]) {
        for (key, text) in flags {
            values[key] = Value(raw: .text(text), origin: .flag(key.flag ?? key.toml))
        }
    }

    // MARK: Typed access

    /// The error for `key`, naming the TOML key / variable / flag that gave the bad value.
    func problem(_ key: ConfigKey, _ message: String) -> ConfigError {
        switch values[key]?.origin {
        case .environment(let name): ConfigError("\(name): \(message)")
        case .flag(let name): ConfigError("\(name): \(message)")
        case .file(let path, let line), .secretsFile(let path, let line):
            ConfigError("\(key.toml) (\(path) line \(line)): \(message)")
        case nil: ConfigError("\(key.toml): \(message)")
        }
    }

    func string(_ key: ConfigKey) -> String? {
        switch values[key]?.raw {
        case .typed(.string(let s)), .text(let s): s
        default: nil
        }
    }

    func integer(_ key: ConfigKey, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        let number: Int
        switch values[key]?.raw {
        case nil:
            return nil
        case .typed(.integer(let n)):
            number = n
        case .text(let text):
            guard let n = Int(text.replacing("_", with: "")), !text.hasPrefix("_"), !text.hasSuffix("_") else {
                throw problem(key, "must be an integer, got '\(text)'")
            }
            number = n
        case .typed(let other):
            throw problem(key, "must be an integer, got \(other.typeName)")
        }
        guard range.contains(number) else {
            throw problem(key, "must be from \(range.lowerBound) to \(range.upperBound), got \(number)")
        }
        return number
    }

    func boolean(_ key: ConfigKey) throws(ConfigError) -> Bool? {
        switch values[key]?.raw {
        case nil: return nil
        case .typed(.boolean(let b)): return b
        case .text(let text):
            switch text.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw problem(key, "must be true or false, got '\(text)'")
            }
        case .typed(let other):
            throw problem(key, "must be a boolean, got \(other.typeName)")
        }
    }

    /// Lists: TOML arrays, or comma-separated text (blank items dropped).
    func stringList(_ key: ConfigKey) -> [String]? {
        switch values[key]?.raw {
        case .typed(.stringArray(let items)): items
        case .text(let text):
            text.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        default: nil
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
