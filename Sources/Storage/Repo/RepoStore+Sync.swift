import ATProto
import Foundation
import GRDB

/// The reads behind the `com.atproto.sync.*` methods (getRepo streams through ``RepoExportStream``).
extension RepoStore {
    // MARK: getBlocks

    /// The blocks of `did` among `cids`, in the order asked (MST nodes and the commit from `repo_block`, records
    /// from `record`), and the CIDs the repository does not hold.
    public func blocks(did: String, cids: [CID]) async throws(StorageError) -> (found: [CARBlock], missing: [CID]) {
        try await database.read(kind: "sync_get_blocks") { db in
            let reader = SQLBlockReader(db: db, did: did)
            var found: [CARBlock] = []
            var missing: [CID] = []
            for cid in cids {
                if let bytes = try reader.readBlock(cid) {
                    found.append(CARBlock(cid: cid, bytes: bytes))
                } else {
                    missing.append(cid)
                }
            }
            return (found, missing)
        }
    }

    // MARK: getRecord

    /// The `com.atproto.sync.getRecord` CAR of `path` (`collection/rkey`): rooted at the head commit, with the
    /// commit, the MST nodes on the path to the key and the record block when the record exists (else the same
    /// path proves its absence). Nil when `did` has no repository.
    public func recordProofCAR(did: String, path: String) async throws(StorageError) -> [UInt8]? {
        try await database.read(kind: "sync_get_record") { db in
            guard let head = try Self.head(db: db, did: did) else { return nil }
            let output = ByteSink()
            do {
                var writer = try CARWriter(roots: [head.commitCID], chunkSize: 16 * 1024) { output.bytes += $0 }
                try RepoExport.writeRecordProofs(
                    commit: head.commitCID, paths: [path], reader: SQLBlockReader(db: db, did: did, nodeCache: self.nodeCache),
                    to: &writer)
                try writer.finish()
            } catch let error as DatabaseError {
                throw error
            } catch {
                throw StorageError(.corrupt, "the record proof of \(path) in \(did) cannot be built: \(error)")
            }
            return output.bytes
        }
    }

    // MARK: listRepos

    /// One hosted repository as `com.atproto.sync.listRepos` lists it.
    public struct HostedRepo: Sendable, Hashable {
        public let did: String
        public let head: CID
        public let rev: String
        public let takedownRef: String?
        public let deactivatedAt: String?

        /// `takendown`, `deactivated`, or nil when active (as ``AccountRecord/status``).
        public var status: String? {
            if takedownRef != nil { return "takendown" }
            if deactivatedAt != nil { return "deactivated" }
            return nil
        }
    }

    /// Up to `limit` repositories in DID order, after the DID `cursor` when given (the primary key: each page is
    /// one index range, whatever the number of accounts).
    public func listRepos(limit: Int, after cursor: String?) async throws(StorageError) -> [HostedRepo] {
        try await database.read(kind: "sync_list_repos") { db in
            var sql = """
                SELECT a.did, a.takedown_ref, a.deactivated_at, r.commit_cid, r.rev
                FROM account a JOIN repo_root r ON r.did = a.did
                """
            var arguments: StatementArguments = []
            if let cursor {
                sql += " WHERE a.did > ?"
                arguments += [cursor]
            }
            sql += " ORDER BY a.did LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                HostedRepo(
                    did: row["did"], head: try Self.cid(row["commit_cid"]), rev: row["rev"],
                    takedownRef: row["takedown_ref"], deactivatedAt: row["deactivated_at"])
            }
        }
    }

    // MARK: listBlobs

    /// CIDs of the blobs the records of `did` reference, in CID order after `cursor`, each once; with `since`,
    /// only blobs of records written in a revision after it.
    public func listBlobs(did: String, since: String?, limit: Int, after cursor: CID?) async throws(StorageError) -> [CID] {
        try await database.read(kind: "sync_list_blobs") { db in
            var sql = "SELECT DISTINCT rb.blob_cid FROM record_blob rb"
            var arguments: StatementArguments = []
            if let since {
                sql += """
                     JOIN record r ON r.did = rb.did AND r.collection = rb.collection AND r.rkey = rb.rkey AND r.rev > ?
                    """
                arguments += [since]
            }
            sql += " WHERE rb.did = ?"
            arguments += [did]
            if let cursor {
                sql += " AND rb.blob_cid > ?"
                arguments += [Data(cursor.bytes)]
            }
            sql += " ORDER BY rb.blob_cid LIMIT ?"
            arguments += [limit]
            return try Data.fetchAll(db, sql: sql, arguments: arguments).map { try Self.cid($0) }
        }
    }

    // MARK: getBlob

    /// A blob's row.
    public struct StoredBlob: Sendable, Hashable {
        public let mimeType: String
        public let size: Int64
        /// Still an unreferenced upload (not served by getBlob).
        public let isTemporary: Bool
        public let takedownRef: String?
    }

    public func blob(did: String, cid: CID) async throws(StorageError) -> StoredBlob? {
        try await database.read(kind: "sync_get_blob") { db in
            try Row.fetchOne(
                db, sql: "SELECT mime_type, size, temp_key, takedown_ref FROM blob WHERE did = ? AND cid = ?",
                arguments: [did, Data(cid.bytes)]
            ).map { row in
                StoredBlob(
                    mimeType: row["mime_type"], size: row["size"], isTemporary: (row["temp_key"] as String?) != nil,
                    takedownRef: row["takedown_ref"])
            }
        }
    }
}

/// Collects the chunks of a ``CARWriter`` built inside one database read.
private final class ByteSink {
    var bytes: [UInt8] = []
}
