import ATProto
import Foundation
import Logging
import Storage

/// `pds-bench sync-seed DATA_DIR [RECORDS=100000]`: creates (or reuses) `DATA_DIR/pds.sqlite`, adds an account
/// `bench<random>.test` and writes RECORDS posts to it through ``RepoStore`` in commits of 200, then prints
/// `did=<did>`. `scripts/bench-getrepo.sh` serves that folder and measures getRepo against it.
func seedSyncRepo(arguments: [String]) async throws {
    guard let folder = arguments.first else {
        print("usage: pds-bench sync-seed DATA_DIR [RECORDS]")
        return
    }
    let count = arguments.count > 1 ? Int(arguments[1]) ?? 100_000 : 100_000
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let database = try await Database.open(
        path: URL(fileURLWithPath: folder).appendingPathComponent("pds.sqlite").path, logger: Logger(label: "pds-bench"))
    try await database.migrate()
    let accounts = AccountStore(repos: RepoStore(database: database))
    let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    let did = "did:plc:" + String((0..<24).map { _ in Array("abcdefghijklmnopqrstuvwxyz234567").randomElement()! })
    _ = try await accounts.create(
        AccountStore.NewAccount(
            did: did, handle: "bench\(suffix).test", email: nil, passwordScrypt: nil, signingKey: K256PrivateKey()))
    let repos = accounts.repos
    let records = realisticRecords(count: count)  // all distinct: no duplicate record blocks
    let start = ContinuousClock.now
    var written = 0
    while written < count {
        let batch = min(RepoStore.maxWritesPerCommit, count - written)
        let writes = (written..<(written + batch)).map { i in
            RecordWrite(
                action: .create, collection: "app.bsky.feed.post", rkey: TID(timestampMicros: UInt64(1_700_000_000_000_000 + i), clockID: 7).string,
                record: EncodedRecord(records[i]))
        }
        _ = try await repos.applyWrites(did: did, writes: writes)
        written += batch
    }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    try database.close()
    FileHandle.standardError.write(Data(String(format: "seeded %d records in %.1f s (%.0f records/s)\n", count, seconds, Double(count) / seconds).utf8))
    print("did=\(did)")
}
