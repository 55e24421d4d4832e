import Hummingbird
import Logging
import ServiceLifecycle

/// A Hummingbird router served on 127.0.0.1 at a free port, for the test stand-ins of outside services (PLC
/// directory, relays). The server's own logs are kept quiet: its shutdown noise is of no interest to tests.
///
/// ``stop()`` shuts the server down gracefully (open keep-alive connections are closed properly, which
/// cancelling its task does not guarantee).
public final class LoopbackServer: Sendable {
    private let group: ServiceGroup
    private let running: Task<Void, any Error>
    /// The bound port.
    public let port: Int

    private init(group: ServiceGroup, running: Task<Void, any Error>, port: Int) {
        self.group = group
        self.running = running
        self.port = port
    }

    /// Starts serving `router` and returns once the server accepts connections.
    public static func start(router: Router<BasicRequestContext>, label: String) async throws -> LoopbackServer {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        var configuration = ServiceGroupConfiguration(services: [app], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        let running = Task { try await group.run() }
        var bound = 0
        for await port in ports {
            bound = port
            break
        }
        return LoopbackServer(group: group, running: running, port: bound)
    }

    /// Stops the server and waits until it is gone (no effect the second time).
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}
