import ATProto
import Foundation
import Storage
import Synchronization
import Testing

@testable import Endpoints

/// Reads frames from `client` into a checker until `target()` is set and reached; frames are checked as they
/// come.
func consume(
    _ client: WebSocketTestClient, keys: [String: PublicKey], contiguous: Bool = true,
    until target: @escaping @Sendable () -> Int64?, timeout: Duration = .seconds(60)
) async throws -> FirehoseChecker {
    var checker = FirehoseChecker(keys: keys)
    checker.requireContiguous = contiguous
    let deadline = ContinuousClock.now + timeout
    while true {
        if let target = target(), let last = checker.lastSeq, last >= target { return checker }
        guard ContinuousClock.now < deadline else {
            throw FirehoseChecker.Failure(description: "timed out at seq \(checker.lastSeq ?? -1), target \(target().map(String.init) ?? "none")")
        }
        let message: WebSocketTestClient.Message
        do {
            message = try await client.next(timeout: 0.5)
        } catch is WebSocketTestClient.TimedOut {
            continue
        }
        guard case .binary(let bytes) = message else {
            throw FirehoseChecker.Failure(description: "unexpected message \(message)")
        }
        let frame = try checker.check(bytes)
        if frame.type == "error" { throw FirehoseChecker.Failure(description: "error frame \(frame.body)") }
    }
}

/// A value set once, read from other tasks.
final class Box<Value: Sendable>: Sendable {
    private let value: Mutex<Value?> = Mutex(nil)
    func set(_ new: Value) { value.withLock { $0 = new } }
    var get: Value? { value.withLock { $0 } }
}

@Suite("subscribeRepos", .serialized)
struct SubscribeReposTests {
    static let path = SubscribeRepos.path

    @Test func liveAndReplayedFromZeroEveryCommitVerifies() async throws {
        let harness = try await FirehoseHarness()
        defer { harness.close() }
        try await harness.run { port in
            // A live subscriber from before the first account.
            let live = try await WebSocketTestClient.connect(port: port, path: Self.path)
            try await waitFor { harness.sequencer.subscriberCount == 1 }
            var dids: [String] = []
            for name in ["alice", "bob", "carol", "dave"] { dids.append(try await harness.createAccount(name)) }
            let keys = harness.accounts.all
            let target = Box<Int64>()
            async let liveResult = consume(live, keys: keys, until: { target.get })
            let writer = RandomWriter(repos: harness.server.services.repos, dids: dids, seed: 42)
            try await writer.write(1_000)
            let head = try #require(try await harness.server.database.firehoseHead())
            target.set(head)
            let liveChecker = try await liveResult
            let acknowledged = await writer.acknowledged
            #expect(acknowledged.count == 1_000)
            #expect(Set(acknowledged).isSubset(of: Set(liveChecker.seqs)))
            #expect(liveChecker.counts["#commit"] == 1_004)
            #expect(liveChecker.counts["#identity"] == 4 && liveChecker.counts["#account"] == 4 && liveChecker.counts["#sync"] == 4)
            await live.close()

            // The same stream replayed from cursor 0.
            let replay = try await WebSocketTestClient.connect(port: port, path: Self.path + "?cursor=0")
            let replayChecker = try await consume(replay, keys: keys, until: { head })
            #expect(replayChecker.seqs == liveChecker.seqs)
            #expect(replayChecker.lastRev == liveChecker.lastRev)
            await replay.close()
        }
        #expect(harness.server.sample("pds_firehose_backfill_requests_total", labels: ["result": "ok"]) == 1)
        #expect(harness.server.sample("pds_firehose_connections_total", labels: ["result": "accepted"]) == 2)
        #expect((harness.server.sample("pds_firehose_frames_sent_total", labels: ["type": "commit"]) ?? 0) >= 2_008)
        #expect((harness.server.sample("pds_sequencer_events_total", labels: ["type": "commit"]) ?? 0) == 1_004)
    }

    @Test func replayFromAMiddleCursorThenLive() async throws {
        let harness = try await FirehoseHarness(settings: FirehoseSettings(pageSize: 7))
        defer { harness.close() }
        try await harness.run { port in
            let did = try await harness.createAccount("alice")
            let writer = RandomWriter(repos: harness.server.services.repos, dids: [did], seed: 7)
            try await writer.write(40)
            let middle = await writer.acknowledged[19]
            let client = try await WebSocketTestClient.connect(port: port, path: Self.path + "?cursor=\(middle)")
            let first = try await client.next()
            guard case .binary(let bytes) = first else { Issue.record("no frame: \(first)"); return }
            #expect(try FirehoseChecker.decode(bytes).seq == middle + 1)
            // Then more live writes arrive after the stored ones.
            try await writer.write(10)
            let head = try #require(try await harness.server.database.firehoseHead())
            let checker = try await consume(client, keys: harness.accounts.all, until: { head })
            #expect(checker.seqs == Array((middle + 2)...head))
            await client.close()
        }
    }

    @Test func futureCursorGetsAnErrorFrameAndClose() async throws {
        let harness = try await FirehoseHarness()
        defer { harness.close() }
        try await harness.run { port in
            try await harness.createAccount("alice")
            let head = try #require(try await harness.server.database.firehoseHead())
            let client = try await WebSocketTestClient.connect(port: port, path: Self.path + "?cursor=\(head + 1)")
            let message = try await client.next()
            guard case .binary(let bytes) = message else { Issue.record("no error frame: \(message)"); return }
            let frame = try FirehoseChecker.decode(bytes)
            #expect(frame.type == "error")
            #expect(frame.body["error"]?.stringValue == "FutureCursor")
            let close = try await client.next()
            #expect(close == .close(code: 1008, reason: "FutureCursor"))

            // The head itself is not in the future: nothing to replay, then live.
            let atHead = try await WebSocketTestClient.connect(port: port, path: Self.path + "?cursor=\(head)")
            try await waitFor { harness.sequencer.subscriberCount == 1 }
            let did = try await harness.createAccount("bob")
            let next = try await atHead.next()
            guard case .binary(let nextBytes) = next else { Issue.record("no live frame: \(next)"); return }
            let live = try FirehoseChecker.decode(nextBytes)
            #expect(live.seq == head + 1)
            #expect(live.body["did"]?.stringValue == did)
            await atHead.close()
        }
        #expect(harness.server.sample("pds_firehose_backfill_requests_total", labels: ["result": "future_cursor"]) == 1)
        #expect(harness.server.sample("pds_firehose_disconnects_total", labels: ["reason": "future_cursor"]) == 1)
        #expect(harness.server.sample("pds_firehose_connections_total", labels: ["result": "rejected"]) == 1)
    }

    @Test(arguments: ["abc", "-1", "1.5", "", "99999999999999999999"])
    func invalidCursorGetsInvalidRequest(_ cursor: String) async throws {
        let harness = try await FirehoseHarness()
        defer { harness.close() }
        try await harness.run { port in
            let client = try await WebSocketTestClient.connect(port: port, path: Self.path + "?cursor=\(cursor)")
            let message = try await client.next()
            guard case .binary(let bytes) = message else { Issue.record("no error frame: \(message)"); return }
            let frame = try FirehoseChecker.decode(bytes)
            #expect(frame.type == "error")
            #expect(frame.body["error"]?.stringValue == "InvalidRequest")
            #expect(try await client.next() == .close(code: 1008, reason: "InvalidRequest"))
        }
    }

    @Test func outdatedCursorAfterTrimmingGetsInfoThenTheOldestKept() async throws {
        let harness = try await FirehoseHarness()
        defer { harness.close() }
        try await harness.run { port in
            let did = try await harness.createAccount("alice")
            let writer = RandomWriter(repos: harness.server.services.repos, dids: [did], seed: 3)
            try await writer.write(20)
            let acknowledged = await writer.acknowledged
            let cut = acknowledged[9]
            // Age the first events past the 72 h retention, then run the retention job.
            try await harness.server.database.write(kind: "test") { db in
                try db.execute(
                    sql: "UPDATE firehose_event SET time_us = time_us - ? WHERE seq <= ?",
                    arguments: [Int64(100 * 3600) * 1_000_000, cut])
            }
            let headBefore = try await harness.server.database.firehoseHead()
            let trimmer = FirehoseTrimmer(
                database: harness.server.database, settings: FirehoseSettings(trimBatchSize: 3),
                metricsFactory: harness.server.metrics.factory)
            let deleted = try await trimmer.trimOnce()
            #expect(deleted == 14)  // 4 account events + 10 commits
            #expect(try await harness.server.database.firehoseHead() == headBefore)
            #expect(try await harness.server.database.firehoseOldest()?.seq == cut + 1)

            let client = try await WebSocketTestClient.connect(port: port, path: Self.path + "?cursor=\(acknowledged[2])")
            let first = try await client.next()
            guard case .binary(let infoBytes) = first else { Issue.record("no info frame: \(first)"); return }
            let info = try FirehoseChecker.decode(infoBytes)
            #expect(info.type == "#info")
            #expect(info.body["name"]?.stringValue == "OutdatedCursor")
            let head = try #require(headBefore)
            var checker = try await consume(client, keys: harness.accounts.all, until: { head })
            #expect(checker.seqs == Array((cut + 1)...head))
            // A new event continues the sequence after the trim.
            try await writer.write(1)
            let after = await writer.acknowledged.last
            #expect(after == head + 1)
            checker = try await consume(client, keys: harness.accounts.all, until: { head + 1 })
            await client.close()

            // A cursor at or after the trimmed point is not outdated.
            let fresh = try await WebSocketTestClient.connect(port: port, path: Self.path + "?cursor=\(cut)")
            let firstFresh = try await fresh.next()
            guard case .binary(let freshBytes) = firstFresh else { Issue.record("no frame: \(firstFresh)"); return }
            #expect(try FirehoseChecker.decode(freshBytes).seq == cut + 1)
            await fresh.close()
        }
        #expect(harness.server.sample("pds_firehose_backfill_requests_total", labels: ["result": "outdated_cursor"]) == 1)
        #expect((harness.server.sample("pds_firehose_log_oldest_age_seconds") ?? -1) >= 0)
    }

    @Test func cursorWhoseNextEventIsOlderThanRetentionIsOutdated() async throws {
        let harness = try await FirehoseHarness(settings: FirehoseSettings(retention: .seconds(3600)))
        defer { harness.close() }
        try await harness.run { port in
            let did = try await harness.createAccount("alice")
            let writer = RandomWriter(repos: harness.server.services.repos, dids: [did], seed: 5)
            try await writer.write(6)
            let acknowledged = await writer.acknowledged
            try await harness.server.database.write(kind: "test") { db in
                try db.execute(
                    sql: "UPDATE firehose_event SET time_us = time_us - ? WHERE seq <= ?",
                    arguments: [Int64(2 * 3600) * 1_000_000, acknowledged[2]])
            }
            let client = try await WebSocketTestClient.connect(port: port, path: Self.path + "?cursor=0")
            let first = try await client.next()
            guard case .binary(let infoBytes) = first else { Issue.record("no info frame: \(first)"); return }
            #expect(try FirehoseChecker.decode(infoBytes).body["name"]?.stringValue == "OutdatedCursor")
            let head = acknowledged[5]
            let checker = try await consume(client, keys: harness.accounts.all, until: { head })
            #expect(checker.seqs == Array((acknowledged[2] + 1)...head))
            await client.close()
        }
    }

    @Test func backfillToLiveSwitchHasNoGapAndNoDuplicateUnderConcurrentWrites() async throws {
        let harness = try await FirehoseHarness(settings: FirehoseSettings(pageSize: 5))
        defer { harness.close() }
        try await harness.run { port in
            var dids: [String] = []
            for name in ["alice", "bob", "carol"] { dids.append(try await harness.createAccount(name)) }
            let keys = harness.accounts.all
            let writer = RandomWriter(repos: harness.server.services.repos, dids: dids, seed: 11)
            try await writer.write(30)
            let target = Box<Int64>()
            let writes = Task { try await writer.write(300) }
            // Subscribers join while the writes go on, each from a cursor some way back.
            var consumers: [Task<FirehoseChecker, any Error>] = []
            for round in 0..<6 {
                try await Task.sleep(for: .milliseconds(40))
                let head = try #require(try await harness.server.database.firehoseHead())
                let cursor = head - Int64(round * 7)
                let client = try await WebSocketTestClient.connect(port: port, path: Self.path + "?cursor=\(cursor)")
                consumers.append(Task {
                    let checker = try await consume(client, keys: keys, until: { target.get })
                    await client.close()
                    #expect(checker.seqs.first == cursor + 1)
                    return checker
                })
            }
            try await writes.value
            let head = try #require(try await harness.server.database.firehoseHead())
            target.set(head)
            for consumer in consumers {
                let checker = try await consumer.value
                #expect(checker.lastSeq == head)
            }
        }
    }

    @Test func peerThatNeverAnswersPingsIsDisconnected() async throws {
        let harness = try await FirehoseHarness(settings: FirehoseSettings(pingInterval: .milliseconds(200)))
        defer { harness.close() }
        try await harness.run { port in
            let silent = try await WebSocketTestClient.connect(port: port, path: Self.path)
            try await waitFor { harness.sequencer.subscriberCount == 1 }
            // The client reads nothing, so no pong goes back: the server gives up after a ping period.
            try await waitFor({ harness.sequencer.subscriberCount == 0 }, timeout: .seconds(5))
            var ended = false
            for _ in 0..<20 {
                if case .close = try await silent.next(timeout: 5) {
                    ended = true
                    break
                }
            }
            #expect(ended)
        }
        #expect(harness.server.sample("pds_firehose_disconnects_total", labels: ["reason": "client_closed"]) == 1)
        #expect(harness.server.sample("pds_firehose_subscribers") == 0)
    }

    @Test func stalledSubscriberGetsConsumerTooSlowWhileOthersCarryOn() async throws {
        let harness = try await FirehoseHarness(
            settings: FirehoseSettings(outboxMaxEvents: 20, writeStallTimeout: .seconds(30), tooSlowGrace: .seconds(20)))
        defer { harness.close() }
        try await harness.run { port in
            let did = try await harness.createAccount("alice")
            let keys = harness.accounts.all
            let stalled = try await WebSocketTestClient.connect(port: port, path: Self.path, receiveBufferBytes: 4_096)
            let fast = try await WebSocketTestClient.connect(port: port, path: Self.path)
            try await waitFor { harness.sequencer.subscriberCount == 2 }
            let target = Box<Int64>()
            async let fastResult = consume(fast, keys: keys, until: { target.get })
            // Large records fill the stalled client's socket buffers, then its outbox.
            let big = String(repeating: "x", count: 60_000)
            var last: Int64 = 0
            for index in 0..<200 {
                let outcome = try await harness.server.services.repos.applyWrites(
                    did: did,
                    writes: [RecordWrite(action: .create, collection: "app.bsky.feed.post", rkey: "big\(index)", record: FirehoseHarness.post(big))])
                last = outcome.seq
            }
            target.set(last)
            let fastChecker = try await fastResult
            #expect(fastChecker.lastSeq == last)
            #expect(fastChecker.counts["#commit"] == 200)
            try await waitFor { harness.sequencer.subscriberCount == 1 }
            // The stalled client reads again: what was in flight, then ConsumerTooSlow and the close.
            var sawTooSlow = false
            var closeCode: UInt16?
            var previous: Int64?
            readLoop: while true {
                switch try await stalled.next(timeout: 20) {
                case .binary(let bytes):
                    let frame = try FirehoseChecker.decode(bytes)
                    if frame.type == "error" {
                        sawTooSlow = frame.body["error"]?.stringValue == "ConsumerTooSlow"
                    } else if let seq = frame.seq {
                        if let previous { #expect(seq == previous + 1) }
                        previous = seq
                    }
                case .close(let code, _):
                    closeCode = code
                    break readLoop
                case .text:
                    Issue.record("unexpected text frame")
                }
            }
            #expect(sawTooSlow)
            #expect(closeCode == 1008)
            #expect((previous ?? last) < last)
            await fast.close()
        }
        #expect(harness.server.sample("pds_firehose_disconnects_total", labels: ["reason": "slow_consumer"]) == 1)
        // The stalled subscriber passed its 20-event bound (not the byte bound); the fast one sent in batches.
        #expect(harness.server.sample("pds_firehose_outbox_dropped_total", labels: ["reason": "max_events"]) == 1)
        #expect(harness.server.sample("pds_firehose_outbox_dropped_total", labels: ["reason": "max_bytes"]) == nil)
        #expect((harness.server.sample("pds_firehose_subscriber_queue_events_count") ?? 0) >= 1)
    }
}

/// Polls `condition` every 5 ms for up to 10 s.
func waitFor(_ condition: @Sendable () -> Bool, timeout: Duration = .seconds(10)) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw FirehoseChecker.Failure(description: "condition not met in time") }
        try await Task.sleep(for: .milliseconds(5))
    }
}

@Suite("Sequencer health")
struct SequencerHealthTests {
    @Test func checksFailBeforeStartAndPassWhileRunning() async throws {
        let harness = try await FirehoseHarness()
        defer { harness.close() }
        let sequencer = harness.sequencer
        await #expect(throws: SequencerHealthError.self) { try await sequencer.checkCaughtUp() }
        #expect(throws: SequencerHealthError.self) { try sequencer.checkLoopAlive() }
        sequencer.registerHealthChecks(in: harness.server.health)
        #expect(harness.server.health.names(.readiness).contains("sequencer"))
        #expect(harness.server.health.names(.liveness).contains("sequencer_loop"))
        _ = try await harness.run { _ in
            try await harness.createAccount("alice")
            try await sequencer.checkCaughtUp()
            try sequencer.checkLoopAlive()
            let report = await harness.server.health.run(.readiness, only: "sequencer")
            #expect(report.ok)
            return true
        }
    }
}
