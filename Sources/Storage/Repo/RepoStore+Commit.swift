import ATProto
import Foundation
import GRDB

extension RepoStore {
    /// Applies `writes` as one signed commit. `swapCommit`, when given, must be the current head commit. Commits that
    /// wait for the writer meanwhile share one transaction (``CommitQueue``), each in its own savepoint.
    public func applyWrites(did: String, writes: [RecordWrite], swapCommit: CID? = nil) async throws(StorageError) -> CommitOutcome {
        guard !writes.isEmpty else { throw StorageError(.invalidWrite, "a commit needs at least one write") }
        guard writes.count <= Self.maxWritesPerCommit else {
            throw StorageError(.invalidWrite, "Too many writes. Max: \(Self.maxWritesPerCommit)")
        }
        return try await commitQueue.commit { db in
            try self.commit(db: db, did: did, writes: writes, swapCommit: swapCommit)
        }
    }

    func commit(db: GRDB.Database, did: String, writes: [RecordWrite], swapCommit: CID?) throws -> CommitOutcome {
        let now = EventLog.nowMicros()
        guard let head = try Self.head(db: db, did: did) else {
            throw StorageError(.repoNotFound, "Could not find repo: \(did)")
        }
        if let swapCommit, swapCommit != head.commitCID {
            throw StorageError(.invalidSwap, "Commit was at \(head.commitCID.string)")
        }

        // Resolve each write against the current records: swaps, put -> create/update, backlink de-duplication.
        var planned: [RecordWrite] = []
        var paths = Set(writes.map(\.path))
        for write in writes {
            let existing = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT cid FROM record WHERE did = ? AND collection = ? AND rkey = ?"),
                arguments: [did, write.collection, write.rkey]
            ).map { try Self.cid($0) }
            switch write.swap {
            case .unchecked: break
            case .mustNotExist:
                if let existing { throw StorageError(.invalidSwap, "Record was at \(existing.string)") }
            case .mustBe(let expected):
                guard existing == expected else {
                    throw StorageError(.invalidSwap, "Record was at \(existing?.string ?? "null")")
                }
            }
            var resolved = write
            if write.action == .put { resolved.action = existing == nil ? .create : .update }
            if resolved.action == .create, existing != nil {
                throw StorageError(.invalidWrite, "Record already exists: \(write.path)")
            }
            if resolved.action == .update || resolved.action == .delete, existing == nil {
                throw StorageError(
                    resolved.action == .delete ? .recordNotFound : .invalidWrite, "Could not find record: \(write.path)")
            }
            if resolved.action != .delete, resolved.record == nil {
                throw StorageError(.invalidWrite, "\(write.path): a \(resolved.action.rawValue) needs a record")
            }
            if write.replaceSameBacklinks, resolved.action == .create {
                for backlink in write.backlinks {
                    let rkeys = try String.fetchAll(
                        db,
                        sql: "SELECT rkey FROM backlink WHERE did = ? AND path = ? AND link_to = ? AND collection = ?",
                        arguments: [did, backlink.path, backlink.linkTo, write.collection])
                    for rkey in rkeys {
                        let stale = RecordWrite(action: .delete, collection: write.collection, rkey: rkey)
                        if paths.insert(stale.path).inserted { planned.append(stale) }
                    }
                }
            }
            planned.append(resolved)
        }

        // Update the tree.
        let repoWrites: [RepoWrite] = planned.map { write in
            switch write.action {
            case .create, .put: .create(path: write.path, cid: write.record!.cid)
            case .update: .update(path: write.path, cid: write.record!.cid)
            case .delete: .delete(path: write.path)
            }
        }
        let reader = SQLBlockReader(db: db, did: did, nodeCache: nodeCache)
        let built: RepoBuildResult
        do {
            built = try RepoBuilder.apply(repoWrites, root: head.dataCID, reader: reader)
        } catch {
            throw StorageError(error.code == .invalidWrite ? .invalidWrite : .corrupt, error.message)
        }

        // Sign.
        let key = try signingKey(db: db, did: did)
        let rev = try nextRev(after: head.rev)
        let commit: Commit
        do {
            commit = try UnsignedCommit(did: did, data: built.root, rev: rev).signed(with: key)
        } catch {
            throw StorageError(.corrupt, "signing the commit of \(did) failed: \(error)")
        }
        let commitBlock = commit.block()

        // The event's blocks: commit, new records, new nodes and the covering proofs.
        var eventBlocks: [CARBlock] = [CARBlock(cid: commitBlock.cid, bytes: commitBlock.bytes)]
        var included: Set<CID> = [commitBlock.cid]
        var eventBytes = commitBlock.bytes.count
        func include(_ cid: CID, _ bytes: [UInt8]) {
            guard included.insert(cid).inserted else { return }
            eventBlocks.append(CARBlock(cid: cid, bytes: bytes))
            eventBytes += bytes.count
        }
        for write in planned { if let record = write.record, write.action != .delete { include(record.cid, record.bytes) } }
        for (cid, bytes) in built.newNodeBlocks { include(cid, bytes) }
        for (cid, bytes) in built.proofBlocks { include(cid, bytes) }
        guard eventBytes <= Self.maxEventBlockBytes else {
            throw StorageError(.commitTooLarge, "Too many writes. Max event size: 2MB")
        }

        // Store blocks and move the head.
        let nowString = Datetime.format(microseconds: now)
        let insertBlock = try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO repo_block (did, cid, rev, content) VALUES (?, ?, ?, ?)")
        var bytesWritten = commitBlock.bytes.count
        try insertBlock.execute(arguments: [did, Data(commitBlock.cid.bytes), rev, Data(commitBlock.bytes)])
        for (cid, bytes) in built.newNodeBlocks {
            try insertBlock.execute(arguments: [did, Data(cid.bytes), rev, Data(bytes)])
            bytesWritten += bytes.count
        }
        let deleteBlock = try db.cachedStatement(sql: "DELETE FROM repo_block WHERE did = ? AND cid = ?")
        try deleteBlock.execute(arguments: [did, Data(head.commitCID.bytes)])
        for cid in built.removedNodeCIDs where built.newNodeBlocks[cid] == nil {
            try deleteBlock.execute(arguments: [did, Data(cid.bytes)])
        }
        try db.cachedStatement(sql: "UPDATE repo_root SET commit_cid = ?, data_cid = ?, rev = ?, indexed_at = ? WHERE did = ?")
            .execute(arguments: [Data(commitBlock.cid.bytes), Data(built.root.bytes), rev, nowString, did])

        // Records, backlinks, blobs.
        var applied: [CommitOutcome.Applied] = []
        var released: [CID] = []
        for write in planned {
            if write.action != .create {
                released += try Self.unlinkRecord(db: db, did: did, collection: write.collection, rkey: write.rkey)
            }
            switch write.action {
            case .delete:
                try db.execute(
                    sql: "DELETE FROM record WHERE did = ? AND collection = ? AND rkey = ?",
                    arguments: [did, write.collection, write.rkey])
                applied.append(.init(action: .delete, collection: write.collection, rkey: write.rkey, cid: nil))
            case .create, .update, .put:
                let record = write.record!
                try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO record (did, collection, rkey, cid, content, rev, indexed_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(
                    arguments: [did, write.collection, write.rkey, Data(record.cid.bytes), Data(record.bytes), rev, nowString])
                bytesWritten += record.bytes.count
                for backlink in write.backlinks {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO backlink (did, collection, rkey, path, link_to) VALUES (?, ?, ?, ?, ?)",
                        arguments: [did, write.collection, write.rkey, backlink.path, backlink.linkTo])
                }
                try linkBlobs(db: db, did: did, write: write)
                applied.append(
                    .init(
                        action: write.action == .create ? .create : .update, collection: write.collection,
                        rkey: write.rkey, cid: record.cid))
            }
        }
        // A blob unlinked by one write may be linked again by another write of the same commit.
        released = try released.filter { cid in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM record_blob WHERE did = ? AND blob_cid = ?", arguments: [did, Data(cid.bytes)]) == 0
        }
        for cid in released {
            try db.execute(sql: "DELETE FROM blob WHERE did = ? AND cid = ?", arguments: [did, Data(cid.bytes)])
        }

        // The firehose event, in the same transaction.
        let car = CARWriter.encode(roots: [commitBlock.cid], blocks: eventBlocks)
        let event = FirehoseEvent.commit(
            repo: did, commit: commitBlock.cid, rev: rev, since: head.rev, blocks: car, ops: built.ops,
            prevData: head.dataCID)
        let seq = try EventLog.append([event], db: db, nowMicros: now, metrics: database.metrics)[0]

        return CommitOutcome(
            did: did, commitCID: commitBlock.cid, rev: rev, seq: seq, applied: applied, releasedBlobs: Array(Set(released)),
            bytesWritten: bytesWritten, blocksWritten: 1 + built.newNodeBlocks.count + applied.filter { $0.cid != nil }.count)
    }

    /// Removes a record's backlinks and blob links; returns the blobs it referenced (commits and imports).
    static func unlinkRecord(db: GRDB.Database, did: String, collection: String, rkey: String) throws -> [CID] {
        try db.execute(
            sql: "DELETE FROM backlink WHERE did = ? AND collection = ? AND rkey = ?", arguments: [did, collection, rkey])
        let blobs = try Data.fetchAll(
            db, sql: "SELECT blob_cid FROM record_blob WHERE did = ? AND collection = ? AND rkey = ?",
            arguments: [did, collection, rkey]
        ).map { try cid($0) }
        try db.execute(
            sql: "DELETE FROM record_blob WHERE did = ? AND collection = ? AND rkey = ?", arguments: [did, collection, rkey])
        return blobs
    }

    /// Checks each referenced blob against its upload and makes it permanent.
    private func linkBlobs(db: GRDB.Database, did: String, write: RecordWrite) throws {
        for blob in write.blobs {
            let key = Data(blob.ref.bytes)
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT mime_type, size FROM blob WHERE did = ? AND cid = ? AND takedown_ref IS NULL", arguments: [did, key])
            else {
                throw StorageError(.blobNotFound, "Could not find blob: \(blob.ref.string)")
            }
            let mime: String = row["mime_type"]
            let size: Int64 = row["size"]
            if blob.mimeType != mime && mime != "application/octet-stream" {
                throw StorageError(.invalidMimeType, "Referenced MIME type \(blob.mimeType) does not match the uploaded \(mime)")
            }
            if let declared = blob.size, declared != size {
                throw StorageError(.invalidSize, "Referenced size \(declared) does not match the uploaded \(size) bytes")
            }
            try db.execute(sql: "UPDATE blob SET temp_key = NULL WHERE did = ? AND cid = ?", arguments: [did, key])
            try db.execute(
                sql: "INSERT OR IGNORE INTO record_blob (did, blob_cid, collection, rkey) VALUES (?, ?, ?, ?)",
                arguments: [did, key, write.collection, write.rkey])
        }
    }

    // MARK: New repositories

    /// Writes the first commit of a new, empty repository and its events (`#identity`, `#account`, `#commit`,
    /// `#sync`, when `announce`), inside the caller's account-creation transaction. Returns the head and the events' seqs.
    func createRepository(
        db: GRDB.Database, did: String, handle: String?, key: K256PrivateKey, announce: Bool, nowMicros: Int64
    ) throws -> (Head, [Int64]) {
        let built: RepoBuildResult
        do {
            built = try RepoBuilder.apply([], root: nil, reader: SQLBlockReader(db: db, did: did))
        } catch {
            throw StorageError(.corrupt, "building the empty repository failed: \(error)")
        }
        let rev = try nextRev(after: nil)
        let commit: Commit
        do {
            commit = try UnsignedCommit(did: did, data: built.root, rev: rev).signed(with: key)
        } catch {
            throw StorageError(.corrupt, "signing the first commit of \(did) failed: \(error)")
        }
        let block = commit.block()
        let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO repo_block (did, cid, rev, content) VALUES (?, ?, ?, ?)")
        try insert.execute(arguments: [did, Data(block.cid.bytes), rev, Data(block.bytes)])
        var carBlocks = [CARBlock(cid: block.cid, bytes: block.bytes)]
        for (cid, bytes) in built.newNodeBlocks {
            try insert.execute(arguments: [did, Data(cid.bytes), rev, Data(bytes)])
            carBlocks.append(CARBlock(cid: cid, bytes: bytes))
        }
        try db.execute(
            sql: "INSERT INTO repo_root (did, commit_cid, data_cid, rev, indexed_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [did, Data(block.cid.bytes), Data(built.root.bytes), rev, Datetime.format(microseconds: nowMicros)])
        keyCache.withLock { $0[did] = key }
        let events: [FirehoseEvent] = [
            .identity(did: did, handle: handle),
            .account(did: did, active: true, status: nil),
            .commit(
                repo: did, commit: block.cid, rev: rev, since: nil,
                blocks: CARWriter.encode(roots: [block.cid], blocks: carBlocks), ops: [], prevData: nil),
            .sync(did: did, blocks: CARWriter.encode(roots: [block.cid], blocks: [carBlocks[0]]), rev: rev),
        ]
        let seqs = announce ? try EventLog.append(events, db: db, nowMicros: nowMicros, metrics: database.metrics) : []
        return (Head(commitCID: block.cid, dataCID: built.root, rev: rev), seqs)
    }
}
