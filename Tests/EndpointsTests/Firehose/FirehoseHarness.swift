import ATProto
import Foundation
import Synchronization
import Hummingbird
import HummingbirdTesting
import Storage

@testable import Endpoints

/// A live server with a running sequencer and helpers to write to repositories directly through the stores.
final class FirehoseHarness: Sendable {
    let server: TestServerWithServices
    let sequencer: Sequencer
    let accounts: AccountKeys

    /// The accounts created by the harness and their signing keys.
    final class AccountKeys: Sendable {
        private let state = Mutex<[String: PublicKey]>([:])
        func set(_ did: String, _ key: PublicKey) { state.withLock { $0[did] = key } }
        var all: [String: PublicKey] { state.withLock { $0 } }
    }

    init(settings: FirehoseSettings = FirehoseSettings()) async throws {
        server = try await TestServerWithServices()
        sequencer = Sequencer(
            database: server.database, settings: settings, metricsFactory: server.metrics.factory,
            logger: server.logs.logger())
        accounts = AccountKeys()
    }

    func close() { server.close() }

    /// Runs the sequencer and a live server around `body`, which gets the bound port.
    func run<Value: Sendable>(_ body: @escaping @Sendable (_ port: Int) async throws -> Value) async throws -> Value {
        let app = buildApplication(settings: server.settings, dependencies: server.dependencies, firehose: sequencer)
        let sequencer = self.sequencer
        return try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask {
                try await sequencer.run()
                return nil
            }
            group.addTask {
                while !sequencer.isRunning { try await Task.sleep(for: .milliseconds(5)) }
                return try await app.test(.live) { client in
                    guard let port = client.port else { throw WebSocketTestClient.Failure(description: "no port") }
                    return try await body(port)
                }
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw WebSocketTestClient.Failure(description: "the server ended without a result")
        }
    }

    /// Creates an account with a fresh key (its events: identity, account, commit, sync).
    @discardableResult
    func createAccount(_ name: String) async throws -> String {
        let key = K256PrivateKey()
        let did = TestServerWithServices.randomDID()
        accounts.set(did, key.publicKey)
        let created = try await server.services.accounts.create(
            AccountStore.NewAccount(
                did: did, handle: "\(name).pds.example.com", email: "\(name)@example.com", passwordScrypt: nil,
                signingKey: key))
        // Inside `run`, returns once the sequencer has delivered the account's events, so a subscriber that
        // connects next without a cursor does not receive them live (a sequencer started later begins at the head).
        let sequencer = self.sequencer
        if let last = created.seqs.last, sequencer.isRunning {
            try await waitFor { (sequencer.lastSeen ?? 0) >= last }
        }
        return did
    }

    static func post(_ text: String) -> EncodedRecord {
        EncodedRecord(["$type": "app.bsky.feed.post", "text": .string(text), "createdAt": "2026-11-25T10:00:00.000Z"])
    }
}

/// Random creates, updates and deletes across accounts, each commit through `RepoStore.applyWrites`.
actor RandomWriter {
    private let repos: RepoStore
    private var records: [String: [String]]
    private var generator: SplitMix
    private var counter = 0
    /// Seq of every acknowledged commit.
    private(set) var acknowledged: [Int64] = []

    init(repos: RepoStore, dids: [String], seed: UInt64) {
        self.repos = repos
        self.records = Dictionary(uniqueKeysWithValues: dids.map { ($0, []) })
        self.generator = SplitMix(seed: seed)
    }

    /// Writes `count` commits of 1-3 random operations each.
    func write(_ count: Int) async throws {
        let dids = records.keys.sorted()
        for _ in 0..<count {
            let did = dids[Int(generator.next() % UInt64(dids.count))]
            var existing = records[did] ?? []
            var writes: [RecordWrite] = []
            var touched = Set<String>()
            for _ in 0..<(1 + Int(generator.next() % 3)) {
                counter += 1
                let roll = generator.next() % 10
                if existing.isEmpty || roll < 5 {
                    let rkey = "r\(counter)"
                    writes.append(RecordWrite(action: .create, collection: "app.bsky.feed.post", rkey: rkey, record: FirehoseHarness.post("post \(counter)")))
                    existing.append(rkey)
                    touched.insert(rkey)
                } else {
                    let index = Int(generator.next() % UInt64(existing.count))
                    let rkey = existing[index]
                    if touched.contains(rkey) { continue }
                    touched.insert(rkey)
                    if roll < 8 {
                        writes.append(RecordWrite(action: .update, collection: "app.bsky.feed.post", rkey: rkey, record: FirehoseHarness.post("edit \(counter)")))
                    } else {
                        writes.append(RecordWrite(action: .delete, collection: "app.bsky.feed.post", rkey: rkey))
                        existing.remove(at: index)
                    }
                }
            }
            let outcome = try await repos.applyWrites(did: did, writes: writes)
            records[did] = existing
            acknowledged.append(outcome.seq)
        }
    }
}

/// A deterministic random number generator.
struct SplitMix: Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
