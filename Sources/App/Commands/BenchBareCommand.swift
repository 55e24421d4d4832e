import ArgumentParser
import Endpoints
import Hummingbird
import Logging
import ServiceLifecycle

/// `pds bench-bare` (hidden): serves only `/xrpc/_health` on a bare Hummingbird router with no
/// middleware, the baseline `scripts/bench-http.sh` compares the full server against.
struct BenchBareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-bare",
        abstract: "Serve /xrpc/_health with no middleware (benchmark baseline).",
        shouldDisplay: false
    )

    @Option(help: "IP address to listen on.")
    var bind = "127.0.0.1"

    @Option(help: "TCP port to listen on.")
    var port = 2584

    func run() async throws {
        let settings = ServerSettings(bindAddress: bind, port: port, version: BuildInfo.version, revision: BuildInfo.revision)
        let app = buildBareApplication(settings: settings)
        let logger = Logger(label: "pds.bench-bare", factory: { _ in SwiftLogNoOpLogHandler() })
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
