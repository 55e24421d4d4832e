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

/// What the database says about the server, for `pds status` when no server answers.
public struct DataSummary: Sendable, Equatable {
    /// The firehose head (nil before the first event).
    public var headSeq: Int64?
    /// Accounts by status: `active`, `deactivated`, `takendown`.
    public var accounts: [String: Int]
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
            for row in try Row.fetchAll(
                db, sql: "SELECT did, COUNT(*) AS n, COALESCE(SUM(length(content)), 0) AS bytes FROM record GROUP BY did")
            {
                update(row["did"]) {
                    $0.records = row["n"]
                    $0.recordBytes = row["bytes"]
                }
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT did, COALESCE(SUM(length(content)), 0) AS bytes FROM repo_block GROUP BY did")
            {
                update(row["did"]) { $0.repoBlockBytes = row["bytes"] }
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT did, COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM blob GROUP BY did")
            {
                update(row["did"]) {
                    $0.blobs = row["n"]
                    $0.blobBytes = row["bytes"]
                }
            }
            return byDID.values.sorted { ($0.totalBytes, $1.did) > ($1.totalBytes, $0.did) }
        }
    }

    /// The firehose head, accounts by status and the applied migrations.
    public func summary() async throws(StorageError) -> DataSummary {
        try await read(kind: "summary") { db in
            var accounts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT CASE WHEN takedown_ref IS NOT NULL THEN 'takendown'
                                WHEN deactivated_at IS NOT NULL THEN 'deactivated'
                                ELSE 'active' END AS status, COUNT(*) AS n
                    FROM account GROUP BY status
                    """)
            {
                accounts[row["status"]] = row["n"]
            }
            return DataSummary(
                headSeq: try EventLog.head(db), accounts: accounts,
                migrations: try MigrationRunner.appliedMigrations(db).map(\.name))
        }
    }
}
