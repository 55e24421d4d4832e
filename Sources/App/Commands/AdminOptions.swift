import ArgumentParser
import Foundation

/// Flags of the operator commands that talk to a running server (`pds account ...`, `pds invite ...`): the same
/// configuration flags as `pds serve` (the admin password comes from the same config, environment or
/// `<data>/secrets.toml`), the server URL and `--json`.
struct AdminOptions: ParsableArguments {
    @OptionGroup var config: ConfigOptions

    @Option(help: ArgumentHelp("Base URL of the running server (default http://127.0.0.1:<configured port>).", valueName: "url"))
    var url: String?

    @Flag(help: "Print the server's JSON answers instead of tables, for scripts.")
    var json = false

    /// The server URL: `--url`, else the configured port on the configured bind address (loopback when it
    /// listens on every address).
    func baseURL(port: Int, bindAddress: String) throws(AdminCommandError) -> String {
        if let url {
            guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
                parsed.host != nil
            else { throw AdminCommandError.usage("--url must be an http(s) URL, got \(url)") }
            return url
        }
        guard port != 0 else {
            throw AdminCommandError.usage("the configured port is 0 (picked at start): pass --url http://host:port")
        }
        let host =
            switch bindAddress {
            case "0.0.0.0", "", "::": "127.0.0.1"
            case let address where address.contains(":"): "[\(address)]"
            case let address: address
            }
        return "http://\(host):\(port)"
    }

    /// A client for the configured server with its admin password.
    func client() throws(AdminCommandError) -> AdminClient {
        let loaded: LoadedConfig
        do {
            loaded = try config.loader().load()
        } catch {
            throw AdminCommandError(exitCode: AdminCommandError.config, message: error.message)
        }
        guard let password = loaded.config.adminPassword, !password.isEmpty else {
            throw AdminCommandError(
                exitCode: AdminCommandError.config,
                message:
                    "no admin password: set PDS_ADMIN_PASSWORD, or point --data-dir (or --config) at the server's data folder")
        }
        return AdminClient(
            baseURL: try baseURL(port: loaded.config.port, bindAddress: loaded.config.bindAddress), adminPassword: password)
    }

    /// Runs `body` with a client; an ``AdminCommandError`` becomes one line on stderr and its exit status.
    func run(_ body: (AdminClient) async throws(AdminCommandError) -> Void) async throws {
        do throws(AdminCommandError) {
            let client = try client()
            do throws(AdminCommandError) {
                try await body(client)
                await client.close()
            } catch {
                await client.close()
                throw error
            }
        } catch {
            FileHandle.standardError.write(Data("pds: \(error.message)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }

    // MARK: Output

    /// Prints `key: value` lines, or with `--json` an object of them; nil values are left out.
    func printPairs(_ pairs: [(String, String?)]) {
        if json {
            printJSON(Dictionary(uniqueKeysWithValues: pairs.compactMap { key, value in value.map { (key, $0) } }))
        } else {
            print(TextTable.keyValues(pairs), terminator: "")
        }
    }

    /// Prints a JSON value, pretty and with sorted keys.
    func printJSON(_ value: Any) {
        let options: JSONSerialization.WritingOptions = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: options) else { return }
        print(String(decoding: data, as: UTF8.self))
    }
}
