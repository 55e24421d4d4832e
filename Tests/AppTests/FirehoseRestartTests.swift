import ATProto
import Foundation
import PDSTestSupport
import Synchronization
import Testing

/// The real `pds serve` killed with SIGKILL during a stream of writes, restarted on the same data folder, and
/// a firehose consumer that resumes from its last cursor.
@Suite struct FirehoseRestartTests {
    struct Account: Sendable {
        let did: String
        let accessJwt: String
    }

    /// One write the server acknowledged (200 to createRecord).
    struct Ack: Sendable {
        let did: String
        let rkey: String
        let cid: String
        let rev: String
    }

    static let collection = "app.bsky.feed.post"

    @Test func everyAcknowledgedWriteSurvivesSIGKILLAndIsOnTheFirehoseExactlyOnce() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let plc = try await TestPLCDirectory.start()
        let relay = try await TestRelay.start()
        do {
            try await Self.run(dir: dir, plc: plc, relay: relay)
        } catch {
            await plc.stop()
            await relay.stop()
            throw error
        }
        await plc.stop()
        await relay.stop()
    }

    static func run(dir: TempDirectory, plc: TestPLCDirectory, relay: TestRelay) async throws {
        var environment = PDSProcess.baseEnvironment()
        environment["PDS_DID_PLC_URL"] = plc.url
        environment["PDS_INVITE_REQUIRED"] = "false"
        environment["PDS_CRAWLERS"] = relay.url

        // First life: two accounts, then writes streamed while a consumer follows the firehose from cursor 0.
        // Blocking calls (sockets, waiting for the child) run on their own threads: the in-process PLC directory
        // and relay the child talks to need the cooperative pool.
        let first = try LiveServer(dir: dir, environment: environment)
        try await onOwnThread { try first.start() }
        defer { first.process.stop() }
        let accounts = try await onOwnThread { try ["alice", "bob"].map { try createAccount(port: first.port, name: $0) } }
        var keys: [String: PublicKey] = [:]
        for account in accounts {
            let didKey = try #require(plc.operations(did: account.did).last?.operation.verificationMethods["atproto"])
            keys[account.did] = try PublicKey(didKey: didKey)
        }
        let consumer = Consumer(checker: FirehoseChecker(keys: keys))
        let firstConsumer = Task { try await consumer.follow(port: first.port, cursor: 0) { false } }

        let writer = Writer(accounts: accounts)
        let firstWrites = writer.start(port: first.port, count: 100_000)
        // Kill mid-stream: once some writes were acknowledged and the consumer has seen some of them.
        let midStream = try await onOwnThread {
            PDSProcess.waitUntil(timeout: .seconds(120)) {
                writer.isIdle
                    || (writer.acknowledged.count >= 40 && consumer.seenCreates.count >= 10 && relay.requestCount >= 1)
            }
        }
        #expect(midStream && !writer.isIdle, "writes or firehose did not progress: \(writer.failures)")
        first.process.signal(SIGKILL)
        #expect(try await onOwnThread { first.process.waitForExit(timeout: .seconds(30)) } != nil)
        await firstWrites.value
        try await firstConsumer.value  // the connection ended with the process
        let acknowledgedBeforeKill = writer.acknowledged.count
        let cursor = try #require(consumer.lastSeq)

        // Second life on the same data folder: more writes; the consumer resumes from its cursor.
        let second = try LiveServer(dir: dir, environment: environment)
        try await onOwnThread { try second.start() }
        defer { second.process.stop() }
        let secondWrites = writer.start(port: second.port, count: 30)
        let secondConsumer = Task {
            try await consumer.follow(port: second.port, cursor: cursor) {
                writer.isIdle && writer.acknowledged.allSatisfy { consumer.seenCreates[$0.did + "/" + $0.rkey] != nil }
            }
        }
        await secondWrites.value
        #expect(writer.acknowledged.count == acknowledgedBeforeKill + 30, "\(writer.failures)")
        try await secondConsumer.value

        // Every acknowledged write is in the repo ...
        for ack in writer.acknowledged {
            let response = try await onOwnThread {
                try HTTPClient.get(
                    port: second.port,
                    path: "/xrpc/com.atproto.repo.getRecord?repo=\(ack.did)&collection=\(collection)&rkey=\(ack.rkey)")
            }
            #expect(response.status == 200, "\(ack.rkey): \(response.body)")
            let body = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
            #expect(body?["cid"] as? String == ack.cid)
        }
        // ... and on the firehose exactly once, with the acknowledged CID, in a commit of the acknowledged rev.
        let seen = consumer.seenCreates
        let revs = consumer.commitRevs
        for ack in writer.acknowledged {
            #expect(seen[ack.did + "/" + ack.rkey] == [ack.cid], "\(ack.rkey) seen as \(seen[ack.did + "/" + ack.rkey] ?? [])")
            #expect(revs[ack.did]?.contains(ack.rev) == true, "rev \(ack.rev) of \(ack.rkey) not on the firehose")
        }
        // A write cut off by the kill may or may not have committed, but never appears twice.
        for (path, cids) in seen { #expect(cids.count == 1, "\(path) appeared \(cids.count) times") }
        // The checker saw strictly increasing, gap-free seqs across the restart, rev/since chaining per repo,
        // valid signatures and ops that invert to prevData.
        #expect(consumer.failures.isEmpty, "\(consumer.failures)")
        let seqs = consumer.seqs
        #expect(seqs.first.map { seqs.last! - $0 + 1 == Int64(seqs.count) } == true)
        #expect(consumer.connections == 2)

        // The configured relay was asked to crawl at each start, and not again for the writes (20-minute throttle).
        #expect(await relay.waitUntil { $0.requestCount >= 2 })
        #expect(relay.requests == Array(repeating: TestRelay.Request(hostname: "localhost", contentType: "application/json"), count: 2))
    }

    static func createAccount(port: Int, name: String) throws -> Account {
        let response = try HTTPClient.post(
            port: port, path: "/xrpc/com.atproto.server.createAccount",
            json: ["handle": "\(name).test", "email": "\(name)@example.com", "password": "a long enough password"],
            timeout: 60)
        guard response.status == 200,
            let body = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
            let did = body["did"] as? String, let accessJwt = body["accessJwt"] as? String
        else { throw TestFailure("createAccount \(name): \(response.status) \(response.body)") }
        return Account(did: did, accessJwt: accessJwt)
    }

    /// createRecord in a loop on its own thread, round-robin over the accounts, until a request fails (the
    /// server was killed) or `count` writes were acknowledged.
    final class Writer: Sendable {
        private struct State {
            var acknowledged: [Ack] = []
            var failures: [String] = []
            var next = 0
            var running = false
        }

        let accounts: [Account]
        private let state = Mutex(State())

        init(accounts: [Account]) {
            self.accounts = accounts
        }

        var acknowledged: [Ack] { state.withLock { $0.acknowledged } }
        var failures: [String] { state.withLock { $0.failures } }
        var isIdle: Bool { state.withLock { !$0.running } }

        /// Starts writing; the task ends when the writer stops.
        func start(port: Int, count: Int) -> Task<Void, Never> {
            state.withLock { $0.running = true }
            return Task {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let thread = Thread {
                        self.loop(port: port, count: count)
                        self.state.withLock { $0.running = false }
                        continuation.resume()
                    }
                    thread.start()
                }
            }
        }

        private func loop(port: Int, count: Int) {
            for _ in 0..<count {
                let index = state.withLock { state in
                    defer { state.next += 1 }
                    return state.next
                }
                let account = accounts[index % accounts.count]
                let label = "write \(index)"
                do {
                    let response = try HTTPClient.post(
                        port: port, path: "/xrpc/com.atproto.repo.createRecord",
                        json: [
                            "repo": account.did, "collection": FirehoseRestartTests.collection,
                            "record": [
                                "$type": FirehoseRestartTests.collection, "text": label,
                                "createdAt": "2026-11-29T18:00:00.000Z",
                            ],
                        ],
                        headers: ["Authorization": "Bearer \(account.accessJwt)"], timeout: 30)
                    guard response.status == 200,
                        let body = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
                        let uri = body["uri"] as? String, let rkey = uri.split(separator: "/").last.map(String.init),
                        let cid = body["cid"] as? String, let commit = body["commit"] as? [String: Any],
                        let rev = commit["rev"] as? String
                    else {
                        state.withLock { $0.failures.append("\(label): HTTP \(response.status) \(response.body)") }
                        return
                    }
                    state.withLock { $0.acknowledged.append(Ack(did: account.did, rkey: rkey, cid: cid, rev: rev)) }
                } catch {
                    state.withLock { $0.failures.append("\(label): \(error)") }
                    return
                }
            }
        }
    }

    /// Follows subscribeRepos, checking every frame and keeping its cursor across connections.
    final class Consumer: Sendable {
        private struct State {
            var checker: FirehoseChecker
            var failures: [String] = []
            /// `did/rkey` -> CIDs of every create of it seen in a `#commit`.
            var seenCreates: [String: [String]] = [:]
            var commitRevs: [String: Set<String>] = [:]
            var connections = 0
        }

        private let state: Mutex<State>

        init(checker: FirehoseChecker) {
            state = Mutex(State(checker: checker))
        }

        var lastSeq: Int64? { state.withLock { $0.checker.lastSeq } }
        var seqs: [Int64] { state.withLock { $0.checker.seqs } }
        var failures: [String] { state.withLock { $0.failures } }
        var seenCreates: [String: [String]] { state.withLock { $0.seenCreates } }
        var commitRevs: [String: Set<String>] { state.withLock { $0.commitRevs } }
        var connections: Int { state.withLock { $0.connections } }

        /// Reads frames from `cursor` until the connection ends or `done()` holds.
        func follow(port: Int, cursor: Int64, until done: @escaping @Sendable () -> Bool) async throws {
            let client = try await WebSocketTestClient.connect(
                port: port, path: "/xrpc/com.atproto.sync.subscribeRepos?cursor=\(cursor)")
            state.withLock { $0.connections += 1 }
            let deadline = ContinuousClock.now + .seconds(180)
            while !done() {
                guard ContinuousClock.now < deadline else {
                    await client.close()
                    throw TestFailure("the consumer did not see every acknowledged write in time")
                }
                let message: WebSocketTestClient.Message
                do {
                    message = try await client.next(timeout: 2)
                } catch is WebSocketTestClient.TimedOut {
                    continue
                }
                switch message {
                case .binary(let bytes): receive(bytes)
                case .close, .text:
                    await client.close()
                    return
                }
            }
            await client.close()
        }

        private func receive(_ bytes: [UInt8]) {
            state.withLock { state in
                do {
                    let frame = try state.checker.check(bytes)
                    guard frame.type == "#commit", let repo = frame.body["repo"]?.stringValue,
                        let rev = frame.body["rev"]?.stringValue
                    else { return }
                    state.commitRevs[repo, default: []].insert(rev)
                    for op in frame.body["ops"]?.arrayValue ?? [] where op["action"]?.stringValue == "create" {
                        guard let path = op["path"]?.stringValue, let cid = op["cid"]?.linkValue else { continue }
                        let rkey = path.split(separator: "/").last.map(String.init) ?? path
                        state.seenCreates[repo + "/" + rkey, default: []].append(cid.string)
                    }
                } catch {
                    state.failures.append("\(error)")
                }
            }
        }
    }
}
