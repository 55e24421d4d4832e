import ATProto
import Foundation
import GRDB

/// Account migration on the receiving side (PDS-REFERENCE §5.4): `com.atproto.repo.importRepo`, the blobs its
/// records still miss (`listMissingBlobs`), the counts of `checkAccountStatus`, and the fresh commit signed with
/// this server's key that activation announces.
///
/// An import follows the reference's `importRepo`: the imported tree is compared with the current one (only the
/// subtrees whose CIDs differ are read, so a CAR holding only the changed blocks is enough), the differences are
/// applied to the record index (creates, updates, deletes; `record_blob` rows for the blobs the records name),
/// and the imported commit block is stored as it came (its signature is not checked, as in the reference). The
/// blocks and record rows carry a fresh local revision. Nothing is announced while the account is deactivated
/// (the usual case); an active account's import is announced by ``resignHead(db:did:)`` and `#sync`.
extension RepoStore {
    /// What an import changed.
    public struct ImportOutcome: Sendable, Hashable {
        /// The head after the import: the imported commit, or the fresh commit of an active account.
        public let commitCID: CID
        public let rev: String
        public let created: Int
        public let updated: Int
        public let deleted: Int
        /// Blobs no record references any more: their files can go.
        public let releasedBlobs: [CID]
        /// Distinct blobs the imported records name that this server does not have yet.
        public let missingBlobs: Int
        /// Bytes of blocks stored (MST nodes, commit, records).
        public let bytesWritten: Int
        /// Sequence number of the `#sync` event (only for an active account).
        public let seq: Int64?
    }

    /// The backlinks (follow, like... de-duplication) of a record, computed by the caller's rules.
    public typealias BacklinkRule = @Sendable (_ collection: String, _ fields: [String: DataValue]) -> [RecordWrite.Backlink]

    /// Replaces the repository of `did` by the one whose commit is `root`, with `blocks` from the imported CAR.
    ///
    /// Errors: `invalidWrite` (→ 400) for a missing or malformed commit, a commit of another DID, an MST node
    /// missing from the CAR, an invalid key, or a record block that is missing or not a DAG-CBOR object (the
    /// reference's "Could not parse record at '<collection>/<rkey>'"); `repoNotFound` when there is no account.
    public func importRepository(
        did: String, root: CID, blocks: [CID: [UInt8]], backlinks: @escaping BacklinkRule
    ) async throws(StorageError) -> ImportOutcome {
        guard let commitBytes = blocks[root] else {
            throw StorageError(.invalidWrite, "Could not find commit block \(root.string) in the CAR file")
        }
        let commit: Commit
        do {
            commit = try Commit(block: commitBytes)
        } catch {
            throw StorageError(.invalidWrite, "Invalid commit: \(error.message)")
        }
        guard commit.did == did else {
            throw StorageError(.invalidWrite, "The repository's commit is for \(commit.did), not for \(did)")
        }
        let store = MemoryBlockStore(blocks)
        return try await database.write(kind: "repo_import") { db -> ImportOutcome in
            let imported = MST(root: commit.data, reader: store)
            guard
                let state = try Row.fetchOne(
                    db, sql: "SELECT takedown_ref, deactivated_at FROM account WHERE did = ?", arguments: [did])
            else { throw StorageError(.repoNotFound, "Could not find repo: \(did)") }
            let active = (state["takedown_ref"] as String?) == nil && (state["deactivated_at"] as String?) == nil
            let head = try Self.head(db: db, did: did)
            let current = head.map { MST(root: $0.dataCID, reader: SQLBlockReader(db: db, did: did)) }
            let diff: MSTDiff
            do {
                diff = try MST.diff(from: current, to: imported)
            } catch {
                throw StorageError(.invalidWrite, "Invalid repository: \((error as? MSTError)?.message ?? "\(error)")")
            }
            let now = EventLog.nowMicros()
            let nowString = Datetime.format(microseconds: now)
            let localRev = try self.nextRev(after: head?.rev)

            // Blocks: the new nodes and the imported commit in, the old commit and the dropped nodes out.
            let insertBlock = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO repo_block (did, cid, rev, content) VALUES (?, ?, ?, ?)")
            var bytesWritten = commitBytes.count
            for (cid, bytes) in diff.newNodes {
                try insertBlock.execute(arguments: [did, Data(cid.bytes), localRev, Data(bytes)])
                bytesWritten += bytes.count
            }
            let deleteBlock = try db.cachedStatement(sql: "DELETE FROM repo_block WHERE did = ? AND cid = ?")
            for cid in diff.removedNodes {
                try deleteBlock.execute(arguments: [did, Data(cid.bytes)])
            }
            if let head, head.commitCID != root {
                try deleteBlock.execute(arguments: [did, Data(head.commitCID.bytes)])
            }
            try insertBlock.execute(arguments: [did, Data(root.bytes), localRev, Data(commitBytes)])
            if head == nil {
                try db.execute(
                    sql: "INSERT INTO repo_root (did, commit_cid, data_cid, rev, indexed_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [did, Data(root.bytes), Data(commit.data.bytes), commit.rev, nowString])
            } else {
                try db.execute(
                    sql: "UPDATE repo_root SET commit_cid = ?, data_cid = ?, rev = ?, indexed_at = ? WHERE did = ?",
                    arguments: [Data(root.bytes), Data(commit.data.bytes), commit.rev, nowString, did])
            }

            // Records.
            var created = 0
            var updated = 0
            var deleted = 0
            var released: Set<CID> = []
            var linked: Set<CID> = []
            for entry in diff.entries {
                let (collection, rkey) = try Self.recordPath(entry.key)
                if entry.old != nil {
                    released.formUnion(try Self.unlinkRecord(db: db, did: did, collection: collection, rkey: rkey))
                }
                guard let cid = entry.new else {
                    try db.execute(
                        sql: "DELETE FROM record WHERE did = ? AND collection = ? AND rkey = ?",
                        arguments: [did, collection, rkey])
                    deleted += 1
                    continue
                }
                let bytes = try Self.recordBytes(db: db, did: did, cid: cid, blocks: blocks, path: entry.key)
                guard case .map(let fields)? = try? DAGCBOR.decode(bytes) else {
                    throw StorageError(.invalidWrite, "Could not parse record at '\(entry.key)'")
                }
                try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO record (did, collection, rkey, cid, content, rev, indexed_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [did, collection, rkey, Data(cid.bytes), Data(bytes), localRev, nowString])
                bytesWritten += bytes.count
                for backlink in backlinks(collection, fields) {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO backlink (did, collection, rkey, path, link_to) VALUES (?, ?, ?, ?, ?)",
                        arguments: [did, collection, rkey, backlink.path, backlink.linkTo])
                }
                for blob in BlobRef.all(in: .map(fields)) {
                    try db.cachedStatement(
                        sql: "INSERT OR IGNORE INTO record_blob (did, blob_cid, collection, rkey) VALUES (?, ?, ?, ?)"
                    ).execute(arguments: [did, Data(blob.ref.bytes), collection, rkey])
                    linked.insert(blob.ref)
                }
                if entry.old == nil { created += 1 } else { updated += 1 }
            }
            // An upload made before the import becomes permanent once a record names it.
            for cid in linked {
                try db.execute(
                    sql: "UPDATE blob SET temp_key = NULL WHERE did = ? AND cid = ? AND temp_key IS NOT NULL",
                    arguments: [did, Data(cid.bytes)])
            }
            let stillUsed = try db.cachedStatement(sql: "SELECT 1 FROM record_blob WHERE did = ? AND blob_cid = ? LIMIT 1")
            var releasedBlobs: [CID] = []
            for cid in released where try Bool.fetchOne(stillUsed, arguments: [did, Data(cid.bytes)]) == nil {
                try db.execute(sql: "DELETE FROM blob WHERE did = ? AND cid = ?", arguments: [did, Data(cid.bytes)])
                releasedBlobs.append(cid)
            }
            let missing =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(DISTINCT rb.blob_cid) FROM record_blob rb
                        WHERE rb.did = ? AND NOT EXISTS (SELECT 1 FROM blob b WHERE b.did = rb.did AND b.cid = rb.blob_cid)
                        """, arguments: [did]) ?? 0

            var headCID = root
            var headRev = commit.rev
            var seq: Int64?
            if active, let fresh = try self.resignHead(db: db, did: did) {
                headCID = fresh.commitCID
                headRev = fresh.rev
                seq = try EventLog.append(
                    [.sync(did: did, blocks: fresh.car, rev: fresh.rev)], db: db, nowMicros: now, database: self.database)[0]
            }
            return ImportOutcome(
                commitCID: headCID, rev: headRev, created: created, updated: updated, deleted: deleted,
                releasedBlobs: releasedBlobs.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }, missingBlobs: missing,
                bytesWritten: bytesWritten, seq: seq)
        }
    }

    /// A new commit over the current tree, signed with the account's key (the lifecycle guide's "fresh commit" on
    /// activation after an import, so the network sees the new key at work): stored as the head, the previous
    /// commit block dropped. Returns its CID, rev, and a CAR holding only the commit (the `#sync` blocks); nil
    /// when the account has no repository.
    func resignHead(db: GRDB.Database, did: String) throws -> (commitCID: CID, rev: String, car: [UInt8])? {
        guard let head = try Self.head(db: db, did: did) else { return nil }
        let commit = try signCommit(did: did, data: head.dataCID, after: head.rev, key: try signingKey(db: db, did: did))
        let rev = commit.rev
        let block = commit.block()
        try db.execute(
            sql: "DELETE FROM repo_block WHERE did = ? AND cid = ?", arguments: [did, Data(head.commitCID.bytes)])
        try db.execute(
            sql: "INSERT OR REPLACE INTO repo_block (did, cid, rev, content) VALUES (?, ?, ?, ?)",
            arguments: [did, Data(block.cid.bytes), rev, Data(block.bytes)])
        try db.execute(
            sql: "UPDATE repo_root SET commit_cid = ?, rev = ?, indexed_at = ? WHERE did = ?",
            arguments: [Data(block.cid.bytes), rev, Datetime.format(microseconds: EventLog.nowMicros()), did])
        let car = CARWriter.encode(roots: [block.cid], blocks: [CARBlock(cid: block.cid, bytes: block.bytes)])
        return (block.cid, rev, car)
    }

    // MARK: Missing blobs

    /// A blob a record names that has not been uploaded here, with the first record naming it.
    public struct MissingBlob: Sendable, Hashable {
        public let cid: CID
        public let collection: String
        public let rkey: String
    }

    /// Blobs named by records of `did` that this server does not have, in CID byte order after `cursor`.
    public func missingBlobs(did: String, after cursor: CID?, limit: Int) async throws(StorageError) -> [MissingBlob] {
        try await database.read(kind: "blob_missing") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT rb.blob_cid AS cid, MIN(rb.collection || '/' || rb.rkey) AS path FROM record_blob rb
                    WHERE rb.did = ? AND rb.blob_cid > ?
                      AND NOT EXISTS (SELECT 1 FROM blob b WHERE b.did = rb.did AND b.cid = rb.blob_cid)
                    GROUP BY rb.blob_cid ORDER BY rb.blob_cid LIMIT ?
                    """,
                arguments: [did, Data(cursor?.bytes ?? []), limit]
            ).map { row in
                let path: String = row["path"]
                let (collection, rkey) = try Self.recordPath(path)
                return MissingBlob(cid: try Self.cid(row["cid"]), collection: collection, rkey: rkey)
            }
        }
    }

    /// Makes an upload permanent when a record already names it (a blob uploaded after the import that
    /// referenced it: no later commit would link it). True when it did.
    @discardableResult
    public func adoptUploadedBlob(did: String, cid: CID) async throws(StorageError) -> Bool {
        try await database.write(kind: "blob_adopt") { db in
            try db.execute(
                sql: """
                    UPDATE blob SET temp_key = NULL WHERE did = ? AND cid = ? AND temp_key IS NOT NULL
                      AND EXISTS (SELECT 1 FROM record_blob rb WHERE rb.did = blob.did AND rb.blob_cid = blob.cid)
                    """, arguments: [did, Data(cid.bytes)])
            return db.changesCount > 0
        }
    }

    // MARK: Status

    /// The repository counts of `checkAccountStatus` (PDS-REFERENCE §5.3).
    public struct RepoStatusCounts: Sendable, Hashable {
        public let head: Head?
        /// Repository blocks: MST nodes and the commit, plus the record blocks (kept in the record index here).
        public let repoBlocks: Int
        public let indexedRecords: Int
        /// Distinct blobs the records name.
        public let expectedBlobs: Int
        /// Blobs stored for the account.
        public let importedBlobs: Int
    }

    public func statusCounts(did: String) async throws(StorageError) -> RepoStatusCounts {
        try await database.read(kind: "repo_status") { db in
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql, arguments: [did]) ?? 0 }
            let records = try count("SELECT COUNT(*) FROM record WHERE did = ?")
            return RepoStatusCounts(
                head: try Self.head(db: db, did: did),
                repoBlocks: try count("SELECT COUNT(*) FROM repo_block WHERE did = ?") + records,
                indexedRecords: records,
                expectedBlobs: try count("SELECT COUNT(DISTINCT blob_cid) FROM record_blob WHERE did = ?"),
                importedBlobs: try count("SELECT COUNT(*) FROM blob WHERE did = ?"))
        }
    }

    // MARK: Helpers

    /// `collection/rkey` of an MST key, both checked.
    static func recordPath(_ key: String) throws(StorageError) -> (String, String) {
        guard let slash = key.firstIndex(of: "/") else {
            throw StorageError(.invalidWrite, "Invalid record path in the repository: \(key)")
        }
        let collection = String(key[..<slash])
        let rkey = String(key[key.index(after: slash)...])
        guard NSID.isValid(collection), RecordKey.isValid(rkey) else {
            throw StorageError(.invalidWrite, "Invalid record path in the repository: \(key)")
        }
        return (collection, rkey)
    }

    /// A record block from the CAR, else the same block already held by another record of the account.
    private static func recordBytes(
        db: GRDB.Database, did: String, cid: CID, blocks: [CID: [UInt8]], path: String
    ) throws -> [UInt8] {
        if let bytes = blocks[cid] { return bytes }
        if let data = try Data.fetchOne(
            db.cachedStatement(sql: "SELECT content FROM record WHERE did = ? AND cid = ? LIMIT 1"), arguments: [did, Data(cid.bytes)])
        {
            return [UInt8](data)
        }
        throw StorageError(.invalidWrite, "Could not parse record at '\(path)'")
    }
}
