import ArgumentParser
import NIOCore
import NIOPosix

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
            RequestCrawlCommand.self,
        ]
    )

    /// Whether Swift concurrency's jobs run on NIO's event loops (set once, before any command runs).
    nonisolated(unsafe) static var tasksOnEventLoops = false

    /// Makes NIO's event loops Swift concurrency's global executor, then runs the command.
    ///
    /// A request's handler then runs on the event loop thread that reads its connection, instead of hopping to
    /// the cooperative pool and back (two thread switches per request; getRecord +11 % in the benchmark). The
    /// price: nothing may block a task. Database work runs on GRDB's writer queue and the read dispatcher, file
    /// work on `BlockingFileWork`, scrypt and DNS lookups on their own queues.
    static func main() async {
        tasksOnEventLoops = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await main(nil)
    }
}
