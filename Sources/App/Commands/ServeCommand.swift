import ArgumentParser
import Foundation

/// `pds serve`: run the server.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the PDS (HTTP API, health endpoints, /metrics) until SIGTERM or SIGINT.",
        discussion: """
            With no configuration at all, stores everything in ./data (created with mode 0700) and \
            listens on http://127.0.0.1:2583 as host 'localhost'. On first start it generates the JWT \
            secret, the PLC rotation key and the admin password into <data>/secrets.toml (mode 0600) and \
            prints the admin password once; later starts reuse them.

            Under systemd (Type=notify) it sends READY=1 once migrations ran and the port is bound, \
            WATCHDOG=1 while the liveness checks pass, and STOPPING=1 on shutdown. Exit status: 0 after \
            a clean shutdown, 78 for a configuration error, 1 when the database cannot be opened or \
            migrated.
            """
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var loaded: LoadedConfig
        let generatedPassword: String?
        do throws(ConfigError) {
            loaded = try options.loader(environment: environment).load()
            try loaded.prepareDataDirectory()
            generatedPassword = try loaded.generateMissingSecrets()
        } catch {
            throw configFailure(error)
        }
        if let generatedPassword {
            // Written unbuffered so it is not lost if the process is killed later.
            let notice = """
                Generated the admin password (shown only this once; also stored in \(loaded.secretsFile.path)):
                    \(generatedPassword)

                """
            FileHandle.standardOutput.write(Data(notice.utf8))
        }
        let status = await PDSServer(config: loaded.config, environment: environment).run()
        if status != 0 {
            throw ExitCode(status)
        }
    }
}
