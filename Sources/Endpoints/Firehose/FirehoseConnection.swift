import ATProto
import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Storage
import Synchronization

/// One subscribeRepos connection: backfill from the cursor, then the live tail from its outbox.
final class FirehoseConnection: Sendable {
    let sequencer: Sequencer
    let outbound: WebSocketOutboundWriter
    let channel: any Channel
    let logger: Logger
    private let watch = Mutex(Watch())

    /// What the stall watchdog looks at.
    private struct Watch {
        var writeStarted: ContinuousClock.Instant?
        var tooSlowSince: ContinuousClock.Instant?
        var clientGone = false
        var finished = false
        /// The live outbox once subscribed: closed when the client goes.
        var outbox: FirehoseOutbox?
        /// The last batch written to the channel and not yet known to have reached the socket.
        var inFlight: EventLoopFuture<Void>?
    }

    /// A reason to stop sending.
    private struct Stop: Error {
        let reason: FirehoseDisconnect
    }

    init(sequencer: Sequencer, outbound: WebSocketOutboundWriter, channel: any Channel, logger: Logger) {
        self.sequencer = sequencer
        self.outbound = outbound
        self.channel = channel
        self.logger = logger
    }

    var metrics: FirehoseMetrics { sequencer.metrics }
    var settings: FirehoseSettings { sequencer.settings }

    /// Serves the connection until it ends; `cursor` is the raw `cursor` query parameter.
    func serve(cursor: String?, inbound: WebSocketInboundStream) async {
        sequencer.connectionOpened()
        defer { sequencer.connectionClosed() }
        let reason = await withTaskGroup(of: Void.self) { group -> FirehoseDisconnect in
            group.addTask { await self.readUntilClosed(inbound) }
            group.addTask { await self.watchdog() }
            let reason = await stream(cursorText: cursor)
            watch.withLock { $0.finished = true }
            group.cancelAll()
            return reason
        }
        metrics.disconnect(reason)
        logger.debug("firehose subscriber disconnected", metadata: ["reason": "\(reason.rawValue)"])
    }

    /// Consumes client frames (subscribers send none; pings and pongs are answered below) until the client
    /// closes; then the stream stops.
    private func readUntilClosed(_ inbound: WebSocketInboundStream) async {
        do {
            for try await _ in inbound {}
        } catch {}
        if Task.isCancelled { return }
        let outbox = watch.withLock { watch -> FirehoseOutbox? in
            watch.clientGone = true
            return watch.outbox
        }
        outbox?.close(.clientClosed)
    }

    /// Closes the channel when a write is stuck past the stall timeout, or a too-slow subscriber has not been
    /// closed within the grace period.
    private func watchdog() async {
        let tick = max(.milliseconds(10), min(Duration.seconds(1), settings.tooSlowGrace / 2, settings.writeStallTimeout / 2))
        while !Task.isCancelled {
            try? await Task.sleep(for: tick)
            let now = ContinuousClock.now
            let stuck = watch.withLock { watch -> Bool in
                if watch.finished { return false }
                if let since = watch.tooSlowSince, now - since > settings.tooSlowGrace { return true }
                if let started = watch.writeStarted, now - started > settings.writeStallTimeout { return true }
                return false
            }
            if stuck {
                logger.info("closing a stalled firehose connection")
                channel.close(promise: nil)
                return
            }
        }
    }

    private func stream(cursorText: String?) async -> FirehoseDisconnect {
        do {
            guard let cursorText else {
                metrics.connection("accepted")
                return try await live(after: nil)
            }
            guard let cursor = Int64(cursorText), cursor >= 0 else {
                metrics.connection("rejected")
                try await sendError("InvalidRequest", message: "cursor must be a non-negative integer")
                return .invalidRequest
            }
            let head = try await sequencer.database.firehoseHead() ?? 0
            if cursor > head {
                metrics.connection("rejected")
                metrics.backfill("future_cursor")
                try await sendError("FutureCursor", message: "Cursor in the future.")
                return .futureCursor
            }
            metrics.connection("accepted")
            var after = cursor
            if let start = try await outdatedStart(cursor: cursor) {
                metrics.backfill("outdated_cursor")
                try await send(
                    SubscribeRepos.infoFrame(name: "OutdatedCursor", message: "Requested cursor exceeded limit. Possibly missing events"),
                    type: "info")
                after = start
            } else {
                metrics.backfill("ok")
            }
            return try await live(after: after)
        } catch let stop as Stop {
            return stop.reason
        } catch {
            if watch.withLock({ $0.clientGone }) { return .clientClosed }
            logger.debug("firehose stream ended", metadata: ["error": "\(error)"])
            return Task.isCancelled ? .shutdown : .error
        }
    }

    /// Where a backfill from an outdated cursor starts (nil when the cursor is not outdated): after the highest
    /// trimmed seq, or before the first event inside the retention window.
    private func outdatedStart(cursor: Int64) async throws -> Int64? {
        let database = sequencer.database
        if let trimmed = try await database.firehoseTrimmedThrough(), cursor < trimmed {
            return trimmed
        }
        let nowMicros = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
        let retention = settings.retention.components
        let cutoff = nowMicros - retention.seconds * 1_000_000 - retention.attoseconds / 1_000_000_000_000
        if let next = try await database.firehoseNext(after: cursor), next.timeMicros < cutoff {
            if let first = try await database.firehoseFirst(atOrAfterMicros: cutoff) { return first - 1 }
            return try await database.firehoseHead() ?? cursor
        }
        return nil
    }

    /// Backfills from `after` (nil: live only), then streams the live tail.
    private func live(after cursor: Int64?) async throws -> FirehoseDisconnect {
        var lastSent = cursor ?? Int64.min
        if let cursor {
            // Catch up page by page before registering, so the live outbox does not fill during a long backfill.
            lastSent = try await backfill(after: cursor, untilShortPage: true)
        }
        guard let subscription = sequencer.subscribe() else {
            try await sendError("InternalServerError", message: "The sequencer is not running")
            return .shutdown
        }
        defer { sequencer.unsubscribe(subscription.id) }
        let gone = watch.withLock { watch -> Bool in
            watch.outbox = subscription.outbox
            return watch.clientGone
        }
        if gone { return .clientClosed }
        if cursor != nil {
            // Everything up to the subscription's start is committed; read it, then the outbox holds the rest.
            lastSent = try await backfill(after: lastSent, untilShortPage: false)
        } else {
            lastSent = subscription.startSeq
        }
        while true {
            switch await subscription.outbox.nextBatch(max: settings.pageSize) {
            case .events(let events, let depth):
                metrics.queueDepth.record(depth)
                let fresh = events.drop { $0.seq <= lastSent }
                if let last = fresh.last {
                    try await write(fresh)
                    lastSent = last.seq
                }
            case .tooSlow:
                watch.withLock { $0.tooSlowSince = .now }
                try? await sendError("ConsumerTooSlow", message: "Stream consumer too slow")
                return .consumerTooSlow
            case .closed(let reason):
                try? await flushPending()
                return watch.withLock({ $0.clientGone }) ? .clientClosed : reason
            }
            if watch.withLock({ $0.clientGone }) { return .clientClosed }
        }
    }

    /// Sends stored events after `after` page by page; returns the last seq sent. With `untilShortPage` it stops
    /// after the first page shorter than a full page, otherwise when a page is empty. The next page is read
    /// while the previous one is still being written to the socket.
    private func backfill(after: Int64, untilShortPage: Bool) async throws -> Int64 {
        var last = after
        let allocator = channel.allocator
        while true {
            if watch.withLock({ $0.clientGone }) { throw Stop(reason: .clientClosed) }
            // Each stored frame is copied once, from SQLite into a socket buffer of its own.
            let page = try await sequencer.database.firehoseFrames(after: last, limit: settings.pageSize) { seq, kind, frame in
                FirehoseOutbox.Event(seq: seq, kind: kind, frame: Self.framed(frame, allocator: allocator))
            }
            if let final = page.last {
                try await write(page)
                last = final.seq
            }
            if page.isEmpty || (untilShortPage && page.count < settings.pageSize) { return last }
        }
    }

    /// The WebSocket frame header of a server frame is at most 10 bytes (no mask).
    static let headroom = 10

    /// `bytes` in a buffer of its own with ``headroom`` bytes before the payload, so the WebSocket encoder writes
    /// the frame header in place instead of in a separate buffer.
    static func framed(_ bytes: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: bytes.count + headroom)
        buffer.moveWriterIndex(forwardBy: headroom)
        buffer.moveReaderIndex(forwardBy: headroom)
        buffer.writeBytes(bytes)
        return buffer
    }

    // MARK: Writing

    /// The most bytes written to the channel in one batch (a batch holds at least one frame).
    static let batchBytes = 1 << 20

    /// Writes `events` straight into the channel pipeline, in batches of up to ``batchBytes`` each written in
    /// one event-loop task with one flush. While the channel is writable nothing waits; once it is not (the
    /// socket buffer is full), each batch waits until the previous one has reached the socket. So at most two
    /// batches beyond NIO's write watermark are in flight, the next one is prepared while the socket drains, and
    /// a peer that stops reading stops the stream (the stall watchdog closes it).
    private func write<Events: Collection<FirehoseOutbox.Event>>(_ events: Events) async throws {
        var batch: [WebSocketFrame] = []
        batch.reserveCapacity(events.count)
        var batchBytes = 0
        var kind = ""
        var run = 0
        for event in events {
            if batchBytes + event.frame.readableBytes > Self.batchBytes, !batch.isEmpty {
                try await submit(batch)
                metrics.bytesSent.increment(by: batchBytes)
                batch.removeAll(keepingCapacity: true)
                batchBytes = 0
            }
            batch.append(WebSocketFrame(fin: true, opcode: .binary, data: event.frame))
            batchBytes += event.frame.readableBytes
            if event.kind != kind {
                if run > 0 { metrics.framesSent(type: kind, count: run) }
                kind = event.kind
                run = 0
            }
            run += 1
        }
        if !batch.isEmpty {
            try await submit(batch)
            metrics.bytesSent.increment(by: batchBytes)
        }
        if run > 0 { metrics.framesSent(type: kind, count: run) }
    }

    private func submit(_ frames: [WebSocketFrame]) async throws {
        let channel = self.channel
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute {
            for frame in frames.dropLast() { channel.write(frame, promise: nil) }
            channel.writeAndFlush(frames[frames.count - 1], promise: promise)
        }
        let previous = watch.withLock { watch -> EventLoopFuture<Void>? in
            let previous = watch.inFlight
            watch.inFlight = promise.futureResult
            return previous
        }
        if let previous, !channel.isWritable || !channel.isActive { try await waitForWrite(previous) }
    }

    /// Waits until every batch written so far has reached the socket.
    private func flushPending() async throws {
        let pending = watch.withLock { watch -> EventLoopFuture<Void>? in
            defer { watch.inFlight = nil }
            return watch.inFlight
        }
        if let pending { try await waitForWrite(pending) }
    }

    private func waitForWrite(_ future: EventLoopFuture<Void>) async throws {
        watch.withLock { $0.writeStarted = .now }
        defer { watch.withLock { $0.writeStarted = nil } }
        try await future.get()
    }

    /// Sends one frame built here (info, error) and waits until it reached the socket.
    private func send(_ frame: [UInt8], type: String) async throws {
        let buffer = frame.withUnsafeBytes { Self.framed($0, allocator: channel.allocator) }
        try await write(CollectionOfOne(FirehoseOutbox.Event(seq: 0, kind: type, frame: buffer)))
        try await flushPending()
    }

    /// Sends an error frame and closes with 1008 (policy violation).
    private func sendError(_ error: String, message: String) async throws {
        try await send(FirehoseFrame.error(error, message: message), type: "error")
        try await outbound.close(.policyViolation, reason: error)
    }
}
