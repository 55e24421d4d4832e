import CoreMetrics
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Storage
import Synchronization

/// Fans newly committed firehose events out to the live subscribers of `subscribeRepos`, as the frame bytes stored
/// in the log; it never re-encodes an event.
///
/// Writers need not call it: ``Database/observeFirehoseCommits(_:)`` hands it the events of every transaction that
/// appended some, in memory, once the transaction has committed. They wait in an inbox (at most
/// ``inboxMaxEvents`` events and ``inboxMaxBytes`` bytes) until the delivery loop sends them on, so the events just
/// written are not read back from the database. The loop reads the log instead when the inbox does not continue
/// where it left off (it overflowed, or events came in some other way), when woken by ``notify()``, and every
/// ``FirehoseSettings/pollInterval`` as a safety net. Pushing to a subscriber never waits: a full outbox marks that
/// subscriber too slow and removes it, so no subscriber slows the sequencer, the writers or the others.
public final class Sequencer: Service, Sendable {
    public let database: Storage.Database
    public let settings: FirehoseSettings
    let metrics: FirehoseMetrics
    let logger: Logger
    private let allocator = ByteBufferAllocator()
    private let wake: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    private let state = Mutex(State())

    private struct State {
        /// The highest seq delivered to live subscribers; nil until ``run()`` has read the head.
        var lastSeen: Int64?
        var running = false
        var subscribers: [UInt64: FirehoseOutbox] = [:]
        var nextID: UInt64 = 0
        /// When the delivery loop last woke up (liveness).
        var lastTick: ContinuousClock.Instant?
        /// Open subscribeRepos connections (backfilling or live).
        var connections = 0
        /// Committed events handed over by the writer, oldest first, not yet delivered.
        var inbox: [EventLog.StoredEvent] = []
        var inboxBytes = 0
        /// The next delivery round reads the log (a poll, a notify, an overflowed inbox).
        var readLog = false
    }

    /// The most events, and frame bytes, the inbox holds; past either the loop reads the log instead.
    static let inboxMaxEvents = 10_000
    static let inboxMaxBytes = 32 * 1024 * 1024

    /// A live registration: events with `seq > startSeq` reach `outbox`.
    struct Subscription: Sendable {
        let id: UInt64
        let outbox: FirehoseOutbox
        let startSeq: Int64
    }

    public init(
        database: Storage.Database, settings: FirehoseSettings = FirehoseSettings(), metricsFactory: any MetricsFactory,
        logger: Logger = Logger(label: "pds.sequencer")
    ) {
        self.database = database
        self.settings = settings
        self.metrics = FirehoseMetrics(factory: metricsFactory)
        self.logger = logger
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.wake = stream
        self.wakeContinuation = continuation
        database.observeFirehoseCommits { [self] events in
            receive(events)
            wakeContinuation.yield()
        }
    }

    /// Called on the writer's thread after a commit: keeps its events for the delivery loop.
    private func receive(_ events: [EventLog.StoredEvent]) {
        let bytes = events.reduce(0) { $0 + $1.frame.count }
        state.withLock { state in
            if events.isEmpty
                || state.inbox.count + events.count > Self.inboxMaxEvents || state.inboxBytes + bytes > Self.inboxMaxBytes
            {
                // Events inserted some other way, or the loop is far behind: it reads them from the log.
                state.inbox = []
                state.inboxBytes = 0
                state.readLog = true
                return
            }
            state.inbox.append(contentsOf: events)
            state.inboxBytes += bytes
        }
    }

    /// Wakes the sequencer to read new events from the log now (commits hand theirs over by themselves).
    public func notify() {
        state.withLock { $0.readLog = true }
        wakeContinuation.yield()
    }

    /// Events waiting in the inbox (`pds_work_queue_jobs{queue="firehose_inbox"}`).
    public var inboxCount: Int { state.withLock { $0.inbox.count } }

    /// True while ``run()`` is delivering events.
    public var isRunning: Bool { state.withLock { $0.running } }

    /// The highest seq the sequencer has delivered (nil before it started).
    public var lastSeen: Int64? { state.withLock { $0.lastSeen } }

    /// Number of live subscribers.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    public func run() async throws {
        let start = try await startingHead()
        state.withLock { state in
            state.lastSeen = start
            state.running = true
            state.lastTick = .now
        }
        metrics.headSeq.record(start)
        logger.info("sequencer started", metadata: ["head_seq": "\(start)"])
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [self] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: settings.pollInterval)
                        notify()
                    }
                }
                for await _ in wake {
                    if Task.isCancelled { break }
                    state.withLock { $0.lastTick = .now }
                    await drain()
                }
                group.cancelAll()
            }
        } onGracefulShutdown: { [wakeContinuation] in
            wakeContinuation.finish()
        }
        let outboxes = state.withLock { state -> [FirehoseOutbox] in
            state.running = false
            let all = Array(state.subscribers.values)
            state.subscribers.removeAll()
            return all
        }
        for outbox in outboxes { outbox.close(.shutdown) }
        logger.info("sequencer stopped")
    }

    /// The head at start, retrying while the database is unavailable.
    private func startingHead() async throws -> Int64 {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                return try await database.firehoseHead() ?? 0
            } catch {
                logger.error("sequencer cannot read the firehose head", metadata: ["error": "\(error)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// Delivers every committed event after `lastSeen`: from the inbox while it continues where delivery left
    /// off, else from the log in pages.
    func drain() async {
        guard var after = state.withLock({ $0.lastSeen }) else { return }
        while true {
            let (inbox, readLog) = state.withLock { state in
                defer {
                    state.inbox = []
                    state.inboxBytes = 0
                    state.readLog = false
                }
                return (state.inbox, state.readLog)
            }
            let fresh = inbox.drop { $0.seq <= after }
            let page: [EventLog.StoredEvent]
            if !readLog, let first = fresh.first, first.seq == after + 1, Self.isConsecutive(fresh) {
                page = Array(fresh)
            } else if !readLog && fresh.isEmpty {
                return
            } else {
                // A poll or notify, or a gap before the inbox (it overflowed): the log has everything committed.
                do {
                    page = try await database.firehoseEvents(after: after, limit: settings.pageSize, kind: "firehose_sequencer")
                } catch {
                    logger.error("sequencer cannot read the firehose log", metadata: ["error": "\(error)"])
                    return
                }
                // A full page: more may follow in the log.
                if page.count == settings.pageSize { state.withLock { $0.readLog = true } }
            }
            guard let last = page.last else { continue }
            deliver(page)
            after = last.seq
            metrics.headSeq.record(last.seq)
            var counts: [String: Int] = [:]
            for event in page { counts[event.kind, default: 0] += 1 }
            for (kind, count) in counts { metrics.sequenced(kind: kind, count: count) }
        }
    }

    /// True when each event's seq follows the previous one's.
    private static func isConsecutive(_ events: ArraySlice<EventLog.StoredEvent>) -> Bool {
        var previous: Int64?
        for event in events {
            if let previous, event.seq != previous + 1 { return false }
            previous = event.seq
        }
        return true
    }

    private func deliver(_ page: [EventLog.StoredEvent]) {
        guard let lastSeq = page.last?.seq else { return }
        var depths: [Int] = []
        var overflows: [FirehoseOutbox.Overflow] = []
        // One buffer per event, shared by every subscriber (the stored bytes, never re-encoded).
        let events = page.map { FirehoseOutbox.Event($0, allocator: allocator) }
        state.withLock { state in
            // Only this task advances lastSeen; a subscriber registered meanwhile starts after it.
            let fresh = events.drop { $0.seq <= (state.lastSeen ?? .min) }
            if !fresh.isEmpty {
                var dropped: [UInt64] = []
                depths.reserveCapacity(state.subscribers.count)
                for (id, outbox) in state.subscribers {
                    switch outbox.push(fresh) {
                    case .queued(let depth): depths.append(depth)
                    case .overflowed(let overflow):
                        overflows.append(overflow)
                        dropped.append(id)
                    case .finished: dropped.append(id)
                    }
                }
                for id in dropped { state.subscribers[id] = nil }
            }
            state.lastSeen = max(state.lastSeen ?? lastSeq, lastSeq)
        }
        for depth in depths { metrics.lag.record(depth) }
        for overflow in overflows { metrics.outboxDropped(overflow) }
    }

    /// Registers a live subscriber; nil when the sequencer is not running.
    func subscribe() -> Subscription? {
        let outbox = FirehoseOutbox(maxEvents: settings.outboxMaxEvents, maxBytes: settings.outboxMaxBytes)
        let subscription = state.withLock { state -> Subscription? in
            guard state.running, let lastSeen = state.lastSeen else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = outbox
            return Subscription(id: id, outbox: outbox, startSeq: lastSeen)
        }
        return subscription
    }

    /// Removes a subscriber (no effect when the sequencer already dropped it).
    func unsubscribe(_ id: UInt64) {
        _ = state.withLock { state in state.subscribers.removeValue(forKey: id) }
    }

    /// Counts an open connection in `pds_firehose_subscribers`; pair with ``connectionClosed()``.
    func connectionOpened() {
        metrics.subscribers.record(state.withLock { state in
            state.connections += 1
            return state.connections
        })
    }

    func connectionClosed() {
        metrics.subscribers.record(state.withLock { state in
            state.connections -= 1
            return state.connections
        })
    }

    /// Time since the delivery loop last woke (nil when not running).
    var sinceLastTick: Duration? {
        state.withLock { state in state.running ? state.lastTick.map { ContinuousClock.now - $0 } : nil }
    }
}
