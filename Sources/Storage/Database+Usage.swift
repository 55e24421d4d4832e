import Foundation
import GRDB

// MARK: - Per-account storage use (`pds usage`) and a summary of the data (`pds status`)

/// Bytes one account uses: its current records, its MST and commit blocks, and its blobs.
public struct AccountUsage: Sendable, Equatable, Codable {
    public var did: String
    public var handle: String?
    public var records: Int
    /// `SUM(length(content))` of the account's rows in `record`.
    public var recordBytes: Int64
    /// `SUM(length(content))` of the account's rows in `repo_block` (MST nodes and commits).
    public var repoBlockBytes: Int64
    public var blobs: Int
    /// `SUM(size)` of the account's rows in `blob`.
    public var blobBytes: Int64

    public var totalBytes: Int64 { recordBytes + repoBlockBytes + blobBytes }

    public init(
        did: String, handle: String? = nil, records: Int = 0, recordBytes: Int64 = 0, repoBlockBytes: Int64 = 0,
        blobs: Int = 0, blobBytes: Int64 = 0
    ) {
        self.did = did
        self.handle = handle
        self.records = records
        self.recordBytes = recordBytes
        self.repoBlockBytes = repoBlockBytes
        self.blobs = blobs
        self.blobBytes = blobBytes
    }

    enum CodingKeys: String, CodingKey {
        case did, handle, records, blobs
        case recordBytes = "record_bytes"
        case repoBlockBytes = "repo_block_bytes"
        case blobBytes = "blob_bytes"
    }

    /// The sum of `usages` (did `"total"`).
    public static func total(_ usages: [AccountUsage]) -> AccountUsage {
        usages.reduce(into: AccountUsage(did: "total")) { sum, usage in
            sum.records += usage.records
            sum.recordBytes += usage.recordBytes
            sum.repoBlockBytes += usage.repoBlockBytes
            sum.blobs += usage.blobs
            sum.blobBytes += usage.blobBytes
        }
    }
}

/// What the database says about the firehose and schema, for `pds status`.
public struct DataSummary: Sendable, Equatable {
    /// The firehose head (nil before the first event).
    public var headSeq: Int64?
    public var migrations: [String]
}

extension Database {
    /// Storage use of every account that has an account row, records, blocks or blobs; largest total first
    /// (ties by DID).
    public func usage() async throws(StorageError) -> [AccountUsage] {
        try await read(kind: "usage") { db in
            var byDID: [String: AccountUsage] = [:]
            func update(_ did: String, _ change: (inout AccountUsage) -> Void) {
                var usage = byDID[did] ?? AccountUsage(did: did)
                change(&usage)
                byDID[did] = usage
            }
            for row in try Row.fetchAll(db, sql: "SELECT did, handle FROM account") {
                update(row["did"]) { $0.handle = row["handle"] }
            }
            let sums: [(table: String, bytes: String, apply: (inout AccountUsage, Int, Int64) -> Void)] = [
                ("record", "length(content)", { $0.records = $1; $0.recordBytes = $2 }),
                ("repo_block", "length(content)", { $0.repoBlockBytes = $2 }),
                ("blob", "size", { $0.blobs = $1; $0.blobBytes = $2 }),
            ]
            for sum in sums {
                let sql = "SELECT did, COUNT(*) AS n, COALESCE(SUM(\(sum.bytes)), 0) AS bytes FROM \(sum.table) GROUP BY did"
                for row in try Row.fetchAll(db, sql: sql) {
                    update(row["did"]) { sum.apply(&$0, row["n"], row["bytes"]) }
                }
            }
            return byDID.values.sorted { ($0.totalBytes, $1.did) > ($1.totalBytes, $0.did) }
        }
    }

    /// The firehose head and the applied migrations.
    public func summary() async throws(StorageError) -> DataSummary {
        try await read(kind: "summary") { db in
            DataSummary(
                headSeq: try EventLog.head(db), migrations: try MigrationRunner.appliedMigrations(db).map(\.name))
        }
    }
}
