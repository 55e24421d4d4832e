import ArgumentParser

/// `pds check-config`: validate the configuration and print the effective values, secrets masked.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print the effective settings (secrets masked).",
        discussion: """
            Reads the same sources as `pds serve` and prints every setting as TOML with where its value \
            came from. Nothing is created or changed on disk. Exits 0 when the configuration is valid, \
            78 with one line naming the key and the problem otherwise.
            """
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        do throws(ConfigError) {
            let loaded = try options.loader().load()
            print(loaded.renderEffective(), terminator: "")
        } catch {
            throw configFailure(error)
        }
    }
}
