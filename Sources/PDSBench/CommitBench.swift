import ATProto
import Foundation
import Logging
import Storage

/// `pds-bench commit [clients=16] [seconds=5] [records-per-repo=1000]`: the commit path without HTTP. Opens a
/// fresh database in a temp folder, creates one account per client, seeds each repository, then runs `clients`
/// concurrent tasks that each apply single-record creates to their own repository for `seconds`, and reports
/// commits per second and the mean transaction time per commit (`pds_db_query_duration_seconds{kind="repo_commit"}`
/// is not read: the benchmark times the calls itself). For profiling the writer (`perf record -p`).
func benchCommits(arguments: [String]) async throws {
    let numbers = arguments.compactMap { Int($0) }
    let clients = numbers.count > 0 ? numbers[0] : 16
    let seconds = numbers.count > 1 ? numbers[1] : 5
    let seeded = numbers.count > 2 ? numbers[2] : 1_000
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pds-bench-commit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let database = try await Database.open(path: folder.appendingPathComponent("pds.sqlite").path, logger: Logger(label: "pds-bench"))
    try await database.migrate()
    let accounts = AccountStore(repos: RepoStore(database: database))
    let repos = accounts.repos
    var dids: [String] = []
    for client in 0..<clients {
        let did = "did:plc:bench\(client)" + String(repeating: "a", count: 14)
        _ = try await accounts.create(
            AccountStore.NewAccount(did: did, handle: "bench\(client).test", email: nil, passwordScrypt: nil, signingKey: K256PrivateKey()))
        dids.append(did)
    }
    let tids = TIDGenerator()
    func post(_ text: String) -> RecordWrite {
        RecordWrite(
            action: .create, collection: "app.bsky.feed.post", rkey: tids.next().string,
            record: EncodedRecord(["$type": "app.bsky.feed.post", "text": .string(text), "createdAt": "2026-11-29T10:00:00.000Z"]))
    }
    for did in dids {
        var written = 0
        while written < seeded {
            let batch = min(RepoStore.maxWritesPerCommit, seeded - written)
            _ = try await repos.applyWrites(did: did, writes: (0..<batch).map { post("seed \(written + $0)") })
            written += batch
        }
    }
    try await database.checkpoint(.truncate)

    let start = ContinuousClock.now
    let end = start + .seconds(seconds)
    let counts = try await withThrowingTaskGroup(of: Int.self) { group in
        for did in dids {
            group.addTask {
                var count = 0
                while ContinuousClock.now < end {
                    _ = try await repos.applyWrites(did: did, writes: [post("load benchmark post \(count)")])
                    count += 1
                }
                return count
            }
        }
        var total = 0
        for try await count in group { total += count }
        return total
    }
    let elapsed = ContinuousClock.now - start
    try database.close()
    let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print(String(format: "commit: %d clients, %d repos of %d records: %.0f commits/s (%d in %.1f s)", clients, clients, seeded, Double(counts) / wall, counts, wall))
}
