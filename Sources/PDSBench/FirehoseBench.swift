import ATProto
import Endpoints
import Foundation
import GRDB
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import Storage
import Telemetry

/// An in-process PDS for the firehose benchmarks: a migrated database in a fresh temporary folder, the stores,
/// the sequencer and the HTTP server (subscribeRepos route) on a loopback port chosen by the system.
final class FirehoseBenchServer: Sendable {
    let directory: URL
    let database: Storage.Database
    let metrics: TelemetryMetrics
    let sequencer: Sequencer
    let repos: RepoStore
    let accounts: AccountStore
    let logger: Logger

    init(settings: FirehoseSettings = FirehoseSettings()) async throws {
        var logger = Logger(label: "pds-bench")
        logger.logLevel = .warning
        self.logger = logger
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pds-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        metrics = TelemetryMetrics()
        database = try await Storage.Database.open(
            path: directory.appendingPathComponent("pds.sqlite").path, metricsFactory: metrics.factory, logger: logger)
        try await database.migrate()
        repos = RepoStore(database: database)
        accounts = AccountStore(repos: repos)
        sequencer = Sequencer(database: database, settings: settings, metricsFactory: metrics.factory, logger: logger)
    }

    func close() {
        try? database.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs the sequencer and the server around `body`, which gets the bound port.
    func run<Value: Sendable>(_ body: @escaping @Sendable (_ port: Int) async throws -> Value) async throws -> Value {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(
            settings: ServerSettings(port: 0),
            dependencies: ServerDependencies(metrics: metrics, health: HealthRegistry(metricsFactory: metrics.factory), logger: logger),
            firehose: sequencer,
            onServerRunning: { port in _ = portContinuation.yield(port) })
        let group = ServiceGroup(services: [sequencer, app], logger: logger)
        let sequencer = self.sequencer
        return try await withThrowingTaskGroup(of: Value?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next() else { throw BenchSubscriber.Failure(description: "the server did not start") }
                while !sequencer.isRunning { try await Task.sleep(for: .milliseconds(5)) }
                return try await body(port)
            }
            var value: Value?
            do {
                while let result = try await tasks.next() {
                    if let result {
                        value = result
                        break
                    }
                }
            } catch {
                tasks.cancelAll()
                throw error
            }
            // Stop the server and the sequencer, and wait for them.
            await group.triggerGracefulShutdown()
            while try await tasks.next() != nil {}
            guard let value else { throw BenchSubscriber.Failure(description: "the server ended without a result") }
            return value
        }
    }

    /// Appends `count` synthetic `#sync` events (frames of about `frameBytes` bytes, as the PDS stores them) to the
    /// event log; returns the first and last seq.
    func seedEvents(count: Int, frameBytes: Int) async throws -> (first: Int64, last: Int64) {
        let blocks = [UInt8](repeating: 0xAB, count: max(0, frameBytes - 120))
        let seqs = try await database.appendFirehoseEvents((0..<count).map { index in
            FirehoseEvent.sync(did: "did:plc:bench\(index % 100)aaaaaaaaaaaaaaa", blocks: blocks, rev: "3kabcdefghi2\(index % 10)")
        })
        guard let first = seqs.first, let last = seqs.last else { throw BenchSubscriber.Failure(description: "no events seeded") }
        return (first, last)
    }
}

/// CPU time (user + system) of this whole process so far, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Replays `events` stored events from cursor 0 to one subscriber, `runs` times; prints events/s of each run and
/// the median.
func benchFirehoseReplay(events: Int, runs: Int, frameBytes: Int) async throws {
    let server = try await FirehoseBenchServer()
    defer { server.close() }
    let (first, last) = try await server.seedEvents(count: events, frameBytes: frameBytes)
    print("firehose replay: \(events) stored #sync events of about \(frameBytes) bytes, \(runs) runs, cursor 0, one subscriber")
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let rates = try await server.run { port in
        var rates: [Double] = []
        for run in 1...runs {
            let start = ContinuousClock.now
            let cpuStart = processCPUSeconds()
            let subscriber = try await BenchSubscriber.connect(
                port: port, path: SubscribeRepos.path + "?cursor=0", recordLag: false, group: group)
            while true {
                let progress = subscriber.progress
                if let failure = progress.failure { throw BenchSubscriber.Failure(description: failure) }
                if progress.lastSeq == last { break }
                if progress.closed { throw BenchSubscriber.Failure(description: "closed at seq \(progress.lastSeq ?? -1)") }
                try await Task.sleep(for: .milliseconds(1))
            }
            let elapsed = seconds(ContinuousClock.now - start)
            let cpu = processCPUSeconds() - cpuStart
            let progress = subscriber.progress
            await subscriber.close()
            guard progress.messages == events, progress.gaps == 0, progress.firstSeq == first else {
                throw BenchSubscriber.Failure(
                    description: "run \(run): \(progress.messages) messages, \(progress.gaps) gaps, first \(progress.firstSeq ?? -1)")
            }
            let rate = Double(events) / elapsed
            rates.append(rate)
            print(String(
                format: "  run %d: %.3f s, %.0f events/s, %.1f MB/s, process CPU %.3f s (%.2f µs per event, server and subscriber)",
                run, elapsed, rate, Double(progress.bytes) / elapsed / 1e6, cpu, cpu * 1e6 / Double(events)))
        }
        return rates
    }
    try await group.shutdownGracefully()
    print(String(format: "firehose replay median: %.0f events/s", rates.sorted()[rates.count / 2]))
}

/// Live fan-out: `subscribers` live subscribers while writers commit about `rate` single-record creates per
/// second for `duration` seconds across `accountCount` accounts through `RepoStore.applyWrites`; prints the
/// commit rate reached and, over every delivery, the lag from the event's `time` (taken inside the commit
/// transaction, so it includes the rest of the commit) and from the commit's acknowledgement (applyWrites
/// returned; negative when the event arrived first).
func benchFirehoseFanout(subscribers: Int, rate: Int, duration: Int, accountCount: Int) async throws {
    let server = try await FirehoseBenchServer()
    defer { server.close() }
    var dids: [String] = []
    for index in 0..<accountCount {
        let did = "did:plc:" + String((0..<24).map { _ in "abcdefghijklmnopqrstuvwxyz234567".randomElement()! })
        _ = try await server.accounts.create(
            AccountStore.NewAccount(
                did: did, handle: "bench\(index).pds.example.com", email: nil, passwordScrypt: nil, signingKey: K256PrivateKey()))
        dids.append(did)
    }
    print("firehose fan-out: \(subscribers) live subscribers, target \(rate) commits/s for \(duration) s across \(accountCount) accounts")
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let repos = server.repos
    let sequencer = server.sequencer
    let accounts = dids
    let acknowledged = NIOLockedValueBox([Int64: Int64]())
    try await server.run { port in
        var clients: [BenchSubscriber] = []
        for _ in 0..<subscribers {
            clients.append(try await BenchSubscriber.connect(port: port, path: SubscribeRepos.path, recordLag: true, group: group))
        }
        while sequencer.subscriberCount < subscribers { try await Task.sleep(for: .milliseconds(5)) }
        // One paced writer per account; together they aim at `rate` commits per second.
        let total = rate * duration
        let perWriter = Duration.seconds(Double(accountCount) / Double(rate))
        let start = ContinuousClock.now
        let cpuStart = processCPUSeconds()
        let lastSeqs = try await withThrowingTaskGroup(of: Int64.self) { writers in
            for (index, did) in accounts.enumerated() {
                writers.addTask {
                    var last: Int64 = 0
                    var due = start + perWriter * (Double(index) / Double(accountCount))
                    var number = 0
                    while number * accountCount + index < total {
                        if due > .now { try await Task.sleep(until: due, clock: .continuous) }
                        let outcome = try await repos.applyWrites(
                            did: did,
                            writes: [
                                RecordWrite(
                                    action: .create, collection: "app.bsky.feed.post", rkey: TIDGenerator.shared.next().string,
                                    record: EncodedRecord([
                                        "$type": "app.bsky.feed.post", "text": .string("fan-out benchmark post \(number)"),
                                        "createdAt": .string(Datetime.now()),
                                    ]))
                            ])
                        let ackMicros = BenchSubscriber.wallMicros()
                        acknowledged.withLockedValue { $0[outcome.seq] = ackMicros }
                        last = max(last, outcome.seq)
                        number += 1
                        due = due + perWriter
                    }
                    return last
                }
            }
            var lasts: [Int64] = []
            for try await last in writers { lasts.append(last) }
            return lasts
        }
        let writeSeconds = seconds(ContinuousClock.now - start)
        let lastSeq = lastSeqs.max() ?? 0
        let deadline = ContinuousClock.now + .seconds(30)
        while clients.contains(where: { ($0.progress.lastSeq ?? 0) < lastSeq }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let cpu = processCPUSeconds() - cpuStart
        var lags: [Int64] = []
        var ackLags: [Int64] = []
        var gaps = 0
        var behind = 0
        var messages = 0
        let acks = acknowledged.withLockedValue { $0 }
        for client in clients {
            let snapshot = client.snapshot
            for delivery in snapshot.deliveries {
                lags.append(delivery.receivedMicros - delivery.timeMicros)
                if let ack = acks[delivery.seq] { ackLags.append(delivery.receivedMicros - ack) }
            }
            gaps += snapshot.gaps
            messages += snapshot.messages
            if (snapshot.lastSeq ?? 0) < lastSeq { behind += 1 }
            await client.close()
        }
        func summary(_ values: [Int64]) -> String {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return "no samples" }
            func at(_ p: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000 }
            return String(format: "p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms", at(0.5), at(0.9), at(0.99), Double(sorted.last!) / 1000)
        }
        print(String(format: "  commits: %d in %.2f s = %.0f commits/s (target %d)", total, writeSeconds, Double(total) / writeSeconds, rate))
        print("  deliveries: \(messages) (expected \(total * subscribers)), seq gaps \(gaps), subscribers behind at the end \(behind)")
        print(String(
            format: "  process CPU %.2f s: %.0f µs per commit (writers, sequencer, server, subscribers), %.2f µs per delivery",
            cpu, cpu * 1e6 / Double(total), messages > 0 ? cpu * 1e6 / Double(messages) : 0))
        try await group.shutdownGracefully()
        print("  lag from the event's time field (ms precision):  " + summary(lags))
        print("  lag from the commit acknowledgement:             " + summary(ackLags))
    }
}
