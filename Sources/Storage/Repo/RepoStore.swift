import ATProto
import CoreMetrics
import Foundation
import GRDB
import Synchronization

/// Repositories: applies signed commits and reads records.
///
/// A commit runs in one write transaction: it checks `swapCommit` and `swapRecord` against the stored head,
/// updates the MST (reading only the touched paths), signs the new commit with the account's key, stores the
/// new blocks and drops the obsolete ones, updates the record index, backlinks and blob references, moves the
/// head, and appends the `#commit` event frame to the firehose log. SQLite's single writer serializes commits,
/// so two writes to one repository can never interleave; readers are never blocked (WAL).
public final class RepoStore: Sendable {
    public let database: Database
    let tids: TIDGenerator
    let keyCache = Mutex<[String: K256PrivateKey]>([:])
    /// Decoded MST nodes of every repository, reused by the next commit or proof instead of read and decoded again.
    let nodeCache = MSTNodeCache()

    /// The most block bytes one commit's firehose event may carry (the reference's limit).
    public static let maxEventBlockBytes = 2_000_000
    /// The most writes one commit may hold.
    public static let maxWritesPerCommit = 200

    /// Commits waiting for the writer, applied together (group commit).
    let commitQueue: CommitQueue
    /// The head each repository had after the last commit this store made to it: where the next commit is built
    /// before the writer is taken. Only a hint: the writer checks it against the stored head.
    let headHints = Mutex<[String: Head]>([:])
    let prepareMetrics: PrepareMetrics

    /// `pds_repo_commit_prepare_total{result}`: how each commit was built.
    struct PrepareMetrics: Sendable {
        static let label = "pds_repo_commit_prepare_total"
        /// Built before the writer and stored as built.
        let used: Counter
        /// Built before the writer on a head that had moved by the time the writer took it (or with an older record
        /// to replace by backlink): built again inside the writer.
        let stale: Counter
        /// Built inside the writer only: the head, the key or a tree node was not in memory, or the writes did not
        /// apply to the remembered head.
        let unprepared: Counter

        init(factory: any MetricsFactory) {
            used = Counter(label: Self.label, dimensions: [("result", "used")], factory: factory)
            stale = Counter(label: Self.label, dimensions: [("result", "stale")], factory: factory)
            unprepared = Counter(label: Self.label, dimensions: [("result", "unprepared")], factory: factory)
        }
    }

    public init(database: Database, tids: TIDGenerator = TIDGenerator()) {
        self.database = database
        self.tids = tids
        self.commitQueue = CommitQueue(database: database)
        self.prepareMetrics = PrepareMetrics(factory: database.metrics.factory)
    }

    /// Remembers `head` as the repository's head after a committed change, unless a later one is already known.
    func rememberHead(did: String, _ head: Head) {
        headHints.withLock { hints in
            if let known = hints[did], known.rev > head.rev { return }
            hints[did] = head
        }
    }

    /// Reads tree nodes from the decoded-node cache only: a node that is not there fails the walk.
    struct CachedNodeReader: BlockReader {
        struct NotCached: Error {}
        let nodeCache: MSTNodeCache?
        func readBlock(_ cid: CID) throws -> [UInt8]? { throw NotCached() }
    }

    // MARK: Reading

    /// A repository head.
    public struct Head: Sendable, Hashable {
        public let commitCID: CID
        public let dataCID: CID
        public let rev: String
    }

    public func head(did: String) async throws(StorageError) -> Head? {
        try await database.read(kind: "repo_head") { db in try Self.head(db: db, did: did) }
    }

    static func head(db: GRDB.Database, did: String) throws -> Head? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT commit_cid, data_cid, rev FROM repo_root WHERE did = ?"), arguments: [did])
        else { return nil }
        return Head(
            commitCID: try cid(row["commit_cid"]), dataCID: try cid(row["data_cid"]), rev: row["rev"])
    }

    /// A stored record.
    public struct StoredRecord: Sendable, Hashable {
        public let collection: String
        public let rkey: String
        public let cid: CID
        public let bytes: [UInt8]
        public let takedownRef: String?
    }

    public func record(did: String, collection: String, rkey: String) async throws(StorageError) -> StoredRecord? {
        try await database.read(kind: "record_get") { db in try Self.record(db, did: did, collection: collection, rkey: rkey) }
    }

    /// One record, inside a read or write the caller already holds.
    static func record(_ db: GRDB.Database, did: String, collection: String, rkey: String) throws -> StoredRecord? {
        try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT collection, rkey, cid, content, takedown_ref FROM record WHERE did = ? AND collection = ? AND rkey = ?"),
            arguments: [did, collection, rkey]
        ).map(Self.storedRecord)
    }

    /// Records of one collection in rkey order (descending unless `reverse`), after `cursor` when given.
    public func listRecords(
        did: String, collection: String, limit: Int, cursor: String?, reverse: Bool
    ) async throws(StorageError) -> [StoredRecord] {
        try await database.read(kind: "record_list") { db in
            try Self.listRecords(db, did: did, collection: collection, limit: limit, cursor: cursor, reverse: reverse)
        }
    }

    /// ``listRecords(did:collection:limit:cursor:reverse:)`` inside a read the caller already holds.
    static func listRecords(
        _ db: GRDB.Database, did: String, collection: String, limit: Int, cursor: String?, reverse: Bool
    ) throws -> [StoredRecord] {
        let order = reverse ? "ASC" : "DESC"
        var sql = "SELECT collection, rkey, cid, content, takedown_ref FROM record WHERE did = ? AND collection = ?"
        var arguments: StatementArguments = [did, collection]
        if let cursor {
            sql += reverse ? " AND rkey > ?" : " AND rkey < ?"
            arguments += [cursor]
        }
        sql += " ORDER BY rkey \(order) LIMIT ?"
        arguments += [limit]
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(Self.storedRecord)
    }

    /// The collections that hold at least one record, in order.
    public func collections(did: String) async throws(StorageError) -> [String] {
        try await database.read(kind: "record_collections") { db in
            // Skip-scan: one index seek per distinct collection instead of reading every record.
            var result: [String] = []
            var last = ""
            while let next = try String.fetchOne(
                db, sql: "SELECT collection FROM record WHERE did = ? AND collection > ? ORDER BY collection LIMIT 1",
                arguments: [did, last])
            {
                result.append(next)
                last = next
            }
            return result
        }
    }

    private static func storedRecord(_ row: Row) throws -> StoredRecord {
        StoredRecord(
            collection: row["collection"], rkey: row["rkey"], cid: try cid(row["cid"]),
            bytes: [UInt8](row["content"] as Data), takedownRef: row["takedown_ref"])
    }

    static func cid(_ data: Data?) throws -> CID {
        guard let data else { throw StorageError(.corrupt, "missing CID in a stored row") }
        do {
            return try CID(bytes: data)
        } catch {
            throw StorageError(.corrupt, "stored CID is invalid: \(error)")
        }
    }

    // MARK: Keys

    func signingKey(db: GRDB.Database, did: String) throws -> K256PrivateKey {
        if let key = keyCache.withLock({ $0[did] }) { return key }
        guard let raw = try Data.fetchOne(db, sql: "SELECT signing_key FROM account WHERE did = ?", arguments: [did]) else {
            throw StorageError(.repoNotFound, "no account for \(did)")
        }
        let key: K256PrivateKey
        do {
            key = try K256PrivateKey(rawRepresentation: [UInt8](raw))
        } catch {
            throw StorageError(.corrupt, "stored signing key of \(did) is invalid: \(error)")
        }
        keyCache.withLock { $0[did] = key }
        return key
    }

    /// Forgets a cached key (account deleted or key rotated).
    public func forgetKey(did: String) {
        _ = keyCache.withLock { $0.removeValue(forKey: did) }
        _ = headHints.withLock { $0.removeValue(forKey: did) }
    }

    /// A new commit of `did` over the tree `data`, signed with `key`, at the next revision after `previous`.
    func signCommit(did: String, data: CID, after previous: String?, key: K256PrivateKey) throws -> Commit {
        let rev = try nextRev(after: previous)
        do {
            return try UnsignedCommit(did: did, data: data, rev: rev).signed(with: key)
        } catch {
            throw StorageError(.corrupt, "signing \(previous == nil ? "the first" : "a") commit of \(did) failed: \(error)")
        }
    }

    /// The next revision: a fresh TID, strictly greater than `previous` (even when the clock is behind it).
    func nextRev(after previous: String?) throws -> String {
        guard let previous, let old = try? TID(previous) else { return tids.next().string }
        guard let next = tids.next(after: old) else {
            throw StorageError(.corrupt, "repository revision \(previous) has no successor")
        }
        return next.string
    }
}
