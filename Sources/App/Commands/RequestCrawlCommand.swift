import ArgumentParser
import CoreMetrics
import Endpoints
import Foundation
import Logging

/// `pds request-crawl`: ask relays to crawl this PDS now.
struct RequestCrawlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request-crawl",
        abstract: "Ask relays to crawl this PDS now (com.atproto.sync.requestCrawl).",
        discussion: """
            Sends {"hostname": <hostname>} to each HOST given, or else to every configured crawler \
            (PDS_CRAWLERS / firehose.crawlers), retrying transient failures, and prints one line per relay: \
            host, result (ok, rejected, error), HTTP status, attempts and duration. A HOST without a scheme \
            is taken as https://HOST. Exit status: 0 when every relay accepted, 1 when one did not, 78 for a \
            configuration error or when there is no relay to ask. The running server does the same by \
            itself at startup and after new events (at most every 20 minutes per relay).
            """
    )

    @OptionGroup var options: ConfigOptions

    @Argument(help: ArgumentHelp("Relays to ask instead of the configured crawlers.", valueName: "host"))
    var hosts: [String] = []

    func run() async throws {
        let config: PDSConfig
        do throws(ConfigError) {
            config = try options.loader().load().config
        } catch {
            throw configFailure(error)
        }
        let relays = hosts.isEmpty ? config.crawlers : hosts.map { $0.contains("://") ? $0 : "https://\($0)" }
        guard !relays.isEmpty else {
            throw configFailure(
                ConfigError("no relay to ask: set \(ConfigKey.crawlers.env) (\(ConfigKey.crawlers.toml)) or name hosts"))
        }
        var logger = Logger(label: "pds.crawl")
        logger.logLevel = .error  // one printed line per relay says it all
        let client = RelayCrawlClient(
            settings: RelayCrawlClient.Settings(hostname: config.hostname), metricsFactory: NOOPMetricsHandler.instance,
            logger: logger)
        let outcomes = await withTaskGroup(of: (Int, RelayCrawlClient.Outcome).self) { group in
            for (index, relay) in relays.enumerated() {
                group.addTask { (index, await client.requestCrawl(relay: relay)) }
            }
            var outcomes: [(Int, RelayCrawlClient.Outcome)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes.sorted { $0.0 < $1.0 }.map(\.1)
        }
        for outcome in outcomes {
            print(Self.line(outcome, hostname: config.hostname))
        }
        if outcomes.contains(where: { $0.result != .ok }) {
            throw ExitCode.failure
        }
    }

    /// `<relay>: <result> (HTTP <status>, <n> attempt(s), <s> s)[: <message>]`.
    static func line(_ outcome: RelayCrawlClient.Outcome, hostname: String) -> String {
        let status = outcome.status.map { "HTTP \($0)" } ?? "no answer"
        let seconds = Double(outcome.duration.components.seconds) + Double(outcome.duration.components.attoseconds) / 1e18
        var line = "\(outcome.relay): \(outcome.result.rawValue) for \(hostname) (\(status), "
            + "\(outcome.attempts) attempt\(outcome.attempts == 1 ? "" : "s"), \(String(format: "%.2f", seconds)) s)"
        if let message = outcome.message { line += ": \(message)" }
        return line
    }
}
