/// A configuration problem: one line naming the key (TOML key, environment variable or flag) and the
/// problem. `pds` prints it on stderr and exits with status 78 (`EX_CONFIG`).
struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }

    /// `sysexits.h` EX_CONFIG.
    static let exitCode: Int32 = 78
}
