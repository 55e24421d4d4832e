import ArgumentParser

/// `pds`: the root command.
@main
struct PDSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pds",
        abstract: "SwiftPDS: an ATProto Personal Data Server.",
        discussion: """
            Start a server on this machine with the built-in defaults (data in ./data, listening on \
            127.0.0.1:2583):

              pds serve

            Settings come from, lowest precedence first: built-in defaults, <data>/secrets.toml \
            (generated on first start), a TOML file (--config FILE or PDS_CONFIG_FILE), PDS_* environment \
            variables, then command-line flags. `pds check-config` shows the result and where each value \
            came from. Configuration errors exit with status 78.
            """,
        version: BuildInfo.versionString,
        subcommands: [
            ServeCommand.self, CheckConfigCommand.self, BenchBareCommand.self, AccountCommand.self, InviteCommand.self,
            BackupCommand.self, RestoreCommand.self, StatusCommand.self, UsageCommand.self,
        ]
    )
}
