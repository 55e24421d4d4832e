import ArgumentParser
import Foundation

/// Flags shared by every command that reads the configuration.
///
/// Values are taken as text and validated by the config loader, so a bad flag gives the same one-line
/// message and exit status 78 as a bad file or environment value.
struct ConfigOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("TOML configuration file.", valueName: "file"))
    var configFile: String?

    @Option(help: ArgumentHelp("Folder for the database, blobs and secrets (default ./data).", valueName: "dir"))
    var dataDir: String?

    @Option(help: ArgumentHelp("Public host name of this PDS (default localhost).", valueName: "name"))
    var hostname: String?

    @Option(help: ArgumentHelp("TCP port to listen on; 0 picks a free one (default 2583).", valueName: "n"))
    var port: String?

    @Option(help: ArgumentHelp("IP address to listen on (default 127.0.0.1).", valueName: "addr"))
    var bind: String?

    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (default info).", valueName: "level"))
    var logLevel: String?

    @Option(help: ArgumentHelp("auto, logfmt, json or journald (default auto).", valueName: "format"))
    var logFormat: String?

    var flags: [ConfigKey: String] {
        var flags: [ConfigKey: String] = [:]
        flags[.dataDirectory] = dataDir
        flags[.hostname] = hostname
        flags[.port] = port
        flags[.bindAddress] = bind
        flags[.logLevel] = logLevel
        flags[.logFormat] = logFormat
        return flags
    }

    func loader(environment: [String: String] = ProcessInfo.processInfo.environment) -> ConfigLoader {
        ConfigLoader(configFile: configFile, environment: environment, flags: flags)
    }
}
