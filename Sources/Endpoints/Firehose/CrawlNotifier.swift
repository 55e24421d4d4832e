import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the configured relays (`PDS_CRAWLERS`) crawling this PDS: `requestCrawl` to every relay at startup,
/// then again to a relay when the firehose head moved past what that relay was last told about and at least
/// ``Settings/throttle`` (20 minutes, as the reference) passed since it was last asked.
///
/// New events are noticed by polling a cheap head source (the sequencer's last delivered seq) every
/// ``Settings/checkInterval``; an update that comes during the throttle window is not lost, it is sent when
/// the window ends. A relay whose last request failed (after the client's retries) is asked again once the
/// window has passed, new events or not, so a relay that was down at startup still hears from us, and a relay
/// that stays down is asked at most every 20 minutes.
public final class CrawlNotifier: Service, Sendable {
    public struct Settings: Sendable {
        /// Relay base URLs, e.g. `https://bsky.network`.
        public var relays: [String]
        /// Least time between two requests to one relay.
        public var throttle: Duration
        /// How often the head is looked at.
        public var checkInterval: Duration

        public init(relays: [String], throttle: Duration = .seconds(20 * 60), checkInterval: Duration = .seconds(5)) {
            self.relays = relays
            self.throttle = throttle
            self.checkInterval = checkInterval
        }
    }

    private struct RelayState {
        /// When the last request to the relay started (nil: never asked).
        var lastAsked: ContinuousClock.Instant?
        /// The head at that time (nil: the log was empty).
        var toldHead: Int64?
        var lastOutcome: RelayCrawlClient.Outcome?
    }

    private struct State {
        var relays: [String: RelayState] = [:]
        var checks = 0
    }

    public let settings: Settings
    let client: RelayCrawlClient
    let head: @Sendable () async -> Int64?
    let now: @Sendable () -> ContinuousClock.Instant
    let logger: Logger
    private let state = Mutex(State())

    /// - Parameters:
    ///   - head: the current firehose head (e.g. `{ sequencer.lastSeen }`); nil while unknown or empty.
    ///   - now: the clock the throttle is measured with (tests pass a manual one).
    public init(
        settings: Settings, client: RelayCrawlClient, head: @escaping @Sendable () async -> Int64?,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
        logger: Logger = Logger(label: "pds.crawl")
    ) {
        self.settings = settings
        self.client = client
        self.head = head
        self.now = now
        self.logger = logger
    }

    /// Head checks done so far (each may or may not have sent requests).
    public var checkCount: Int { state.withLock { $0.checks } }

    /// The outcome of the last request to `relay`, if any.
    public func lastOutcome(relay: String) -> RelayCrawlClient.Outcome? {
        state.withLock { $0.relays[relay]?.lastOutcome }
    }

    public func run() async throws {
        guard !settings.relays.isEmpty else {
            // Nothing to do; stay until shutdown (returning would end the service group).
            try? await gracefulShutdown()
            return
        }
        logger.info(
            "crawl notifier started",
            metadata: [
                "relays": "\(settings.relays.map(RelayCrawlClient.host(of:)).joined(separator: ","))",
                "hostname": "\(client.settings.hostname)",
            ])
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.checkOnce()
                try? await Task.sleep(for: self.settings.checkInterval)
            }
        }
    }

    /// Sends `requestCrawl` to every relay that is due (never asked, or the head moved and the throttle window
    /// passed), concurrently; returns the outcomes.
    @discardableResult
    public func checkOnce() async -> [RelayCrawlClient.Outcome] {
        let current = await head()
        let instant = now()
        let due = state.withLock { state -> [String] in
            state.checks += 1
            var due: [String] = []
            for relay in settings.relays {
                let relayState = state.relays[relay] ?? RelayState()
                if let lastAsked = relayState.lastAsked {
                    let moved = current.map { $0 > relayState.toldHead ?? .min } ?? false
                    let failed = relayState.lastOutcome.map { $0.result != .ok } ?? false
                    guard moved || failed, instant - lastAsked >= settings.throttle else { continue }
                }
                state.relays[relay, default: RelayState()].lastAsked = instant
                state.relays[relay, default: RelayState()].toldHead = current
                due.append(relay)
            }
            return due
        }
        guard !due.isEmpty else { return [] }
        let client = self.client
        let outcomes = await withTaskGroup(of: RelayCrawlClient.Outcome.self) { group in
            for relay in due {
                group.addTask { await client.requestCrawl(relay: relay) }
            }
            var outcomes: [RelayCrawlClient.Outcome] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        state.withLock { state in
            for outcome in outcomes { state.relays[outcome.relay, default: RelayState()].lastOutcome = outcome }
        }
        return outcomes
    }
}
