import Storage
import Telemetry

/// Why a sequencer health check failed.
struct SequencerHealthError: Error, CustomStringConvertible {
    let description: String
}

extension Sequencer {
    /// Registers the sequencer's checks:
    /// - `sequencer` (readiness): the sequencer is running and has delivered everything up to the database's
    ///   firehose head (it may wait up to about a second to catch up with a commit in flight);
    /// - `sequencer_loop` (liveness, so it gates the systemd watchdog): the delivery loop woke within the last
    ///   `max(5 s, 20 × pollInterval)`; a stuck loop stops the watchdog pings and systemd restarts the server.
    public func registerHealthChecks(in health: HealthRegistry) {
        health.register(name: "sequencer", kinds: [.readiness]) { [self] in try await checkCaughtUp() }
        health.register(name: "sequencer_loop", kinds: [.liveness]) { [self] in try checkLoopAlive() }
    }

    func checkCaughtUp() async throws {
        guard isRunning, let seen = lastSeen else { throw SequencerHealthError(description: "sequencer is not running") }
        let head = try await database.firehoseHead() ?? 0
        if seen >= head { return }
        notify()
        let deadline = ContinuousClock.now + .seconds(1)
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            if let now = lastSeen, now >= head { return }
        }
        throw SequencerHealthError(description: "sequencer is behind the database: delivered \(lastSeen ?? 0), head \(head)")
    }

    func checkLoopAlive() throws {
        guard let since = sinceLastTick else { throw SequencerHealthError(description: "sequencer is not running") }
        let limit = max(Duration.seconds(5), settings.pollInterval * 20)
        if since > limit {
            throw SequencerHealthError(description: "sequencer loop has not run for \(since)")
        }
    }
}
