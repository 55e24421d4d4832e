import ATProto
import Foundation
import GRDB

extension RepoStore {
    /// Applies `writes` as one signed commit. `swapCommit`, when given, must be the current head commit. Commits that
    /// wait for the writer meanwhile share one transaction (``CommitQueue``), each in its own savepoint.
    ///
    /// The tree update, the signature and the event's CAR are built before the writer is taken, from the head this
    /// store last committed for the repository and the decoded-node cache (``prepare(did:writes:swapCommit:)``);
    /// inside the writer the prepared commit is only stored if the head is still the one it was built on. Otherwise
    /// (another change came first, or something was not cached) the commit is built again inside the writer.
    public func applyWrites(did: String, writes: [RecordWrite], swapCommit: CID? = nil) async throws(StorageError) -> CommitOutcome {
        guard !writes.isEmpty else { throw StorageError(.invalidWrite, "a commit needs at least one write") }
        guard writes.count <= Self.maxWritesPerCommit else {
            throw StorageError(.invalidWrite, "Too many writes. Max: \(Self.maxWritesPerCommit)")
        }
        // Prepared on a preparation thread, which hands the commit straight to the writer's queue; the writer
        // completes it. The caller's task resumes once, when the outcome is there (no hop back to its event loop
        // between the preparation and the writer).
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<CommitOutcome, StorageError>, Never>) in
            Self.preparation.submit {
                let prepared = self.prepare(did: did, writes: writes, swapCommit: swapCommit)
                if prepared == nil { self.prepareMetrics.unprepared.increment() }
                self.commitQueue.enqueue(
                    { db in
                        if let prepared {
                            if let outcome = try self.commitPrepared(db: db, prepared) {
                                self.prepareMetrics.used.increment()
                                return outcome
                            }
                            self.prepareMetrics.stale.increment()
                        }
                        return try self.commit(db: db, did: did, writes: writes, swapCommit: swapCommit)
                    },
                    completion: { result in
                        // On the writer thread, in commit order: the next preparation for this repository builds on
                        // this head.
                        if case .success(let outcome) = result {
                            self.rememberHead(
                                did: did, Head(commitCID: outcome.commitCID, dataCID: outcome.dataCID, rev: outcome.rev))
                        }
                        continuation.resume(returning: result)
                    })
            }
        }
        return try result.get()
    }

    // MARK: Building a commit

    /// Where commits are prepared: the tree update, the signature and the event's CAR take 100-200 µs of CPU for one
    /// write and grow with the writes of an applyWrites call (up to 200). Request handlers run on NIO's event loops,
    /// where that work would hold up the I/O of every connection of the loop. On threads of their own, the scheduler
    /// shares the cores between them, the loops and the writer. (createRecord at 16 clients: 2,955 → 3,026/s over
    /// six alternating runs each, within the noise; p99 about 0.5 ms lower.)
    private static let preparation = DispatchWork(label: "pds.repo.prepare", qos: .userInitiated)

    /// Commits being prepared or waiting for a preparation thread (`pds_work_queue_jobs{queue="repo_prepare"}`).
    public static var preparationJobs: Int { preparation.jobs }

    /// Commits waiting for the writer, plus the batch it is applying (`pds_work_queue_jobs{queue="repo_commit"}`).
    public var commitJobs: Int { commitQueue.jobs }

    /// A commit built outside the writer on `head`: stored only if `head` is still the repository's head.
    struct PreparedCommit: Sendable {
        let did: String
        let head: Head
        let planned: [RecordWrite]
        let built: BuiltCommit
    }

    /// What a commit stores besides its records: the new tree, the signed commit block and the event's blocks.
    struct BuiltCommit: Sendable {
        let tree: RepoBuildResult
        let rev: String
        let commitCID: CID
        let commitBytes: [UInt8]
        /// The `#commit` event's `blocks` (a CAR): commit, new records, new nodes and the covering proofs.
        let car: [UInt8]
    }

    /// Builds the commit of `writes` on the head this store last committed for `did`, without the database: nodes
    /// come from the decoded-node cache and the key from the key cache. Nil when anything needed is not in memory or
    /// a write does not apply to that head (the writer then decides, from the stored head, with the real error).
    func prepare(did: String, writes: [RecordWrite], swapCommit: CID?) -> PreparedCommit? {
        guard let head = headHints.withLock({ $0[did] }), let key = keyCache.withLock({ $0[did] }) else { return nil }
        if let swapCommit, swapCommit != head.commitCID { return nil }
        let reader = CachedNodeReader(nodeCache: nodeCache)
        let tree = MST(root: head.dataCID, reader: reader)
        do {
            // Older records with the same backlink are looked for inside the writer (`commitPrepared`).
            let planned = try Self.plan(writes, existing: { try tree.get($0.path) }, sameBacklinks: { _, _ in [] })
            let built = try build(did: did, head: head, planned: planned, key: key, reader: reader)
            return PreparedCommit(did: did, head: head, planned: planned, built: built)
        } catch {
            return nil
        }
    }

    /// Stores a prepared commit, or returns nil when it no longer applies: the head moved since it was built, or a
    /// create has an older record with the same backlink to replace (then the commit is built again in the writer).
    func commitPrepared(db: GRDB.Database, _ prepared: PreparedCommit) throws -> CommitOutcome? {
        guard let head = try Self.head(db: db, did: prepared.did), head == prepared.head else { return nil }
        for write in prepared.planned where write.replaceSameBacklinks && write.action == .create {
            for backlink in write.backlinks where try !Self.sameBacklinks(db, did: prepared.did, write, backlink).isEmpty {
                return nil
            }
        }
        return try store(db: db, did: prepared.did, head: head, planned: prepared.planned, built: prepared.built)
    }

    /// Builds and stores the commit of `writes` inside the writer, from the stored head.
    func commit(db: GRDB.Database, did: String, writes: [RecordWrite], swapCommit: CID?) throws -> CommitOutcome {
        guard let head = try Self.head(db: db, did: did) else {
            throw StorageError(.repoNotFound, "Could not find repo: \(did)")
        }
        if let swapCommit, swapCommit != head.commitCID {
            throw StorageError(.invalidSwap, "Commit was at \(head.commitCID.string)")
        }
        let planned = try Self.plan(
            writes,
            existing: { write in
                try Data.fetchOne(
                    db.cachedStatement(sql: "SELECT cid FROM record WHERE did = ? AND collection = ? AND rkey = ?"),
                    arguments: [did, write.collection, write.rkey]
                ).map { try Self.cid($0) }
            },
            sameBacklinks: { write, backlink in try Self.sameBacklinks(db, did: did, write, backlink) })
        let key = try signingKey(db: db, did: did)
        let built = try build(
            did: did, head: head, planned: planned, key: key, reader: SQLBlockReader(db: db, did: did, nodeCache: nodeCache))
        return try store(db: db, did: did, head: head, planned: planned, built: built)
    }

    /// The rkeys of records in the write's collection that hold the same backlink.
    static func sameBacklinks(_ db: GRDB.Database, did: String, _ write: RecordWrite, _ backlink: RecordWrite.Backlink) throws -> [String] {
        try String.fetchAll(
            db.cachedStatement(sql: "SELECT rkey FROM backlink WHERE did = ? AND path = ? AND link_to = ? AND collection = ?"),
            arguments: [did, backlink.path, backlink.linkTo, write.collection])
    }

    /// Resolves each write against the current records (`existing` gives a path's record CID): swaps, put ->
    /// create/update, and the deletes backlink de-duplication adds (`sameBacklinks` gives the rkeys of older records
    /// with the same link).
    static func plan(
        _ writes: [RecordWrite], existing: (RecordWrite) throws -> CID?,
        sameBacklinks: (RecordWrite, RecordWrite.Backlink) throws -> [String]
    ) throws -> [RecordWrite] {
        var planned: [RecordWrite] = []
        var paths = Set(writes.map(\.path))
        for write in writes {
            let existing = try existing(write)
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
                    for rkey in try sameBacklinks(write, backlink) {
                        let stale = RecordWrite(action: .delete, collection: write.collection, rkey: rkey)
                        if paths.insert(stale.path).inserted { planned.append(stale) }
                    }
                }
            }
            planned.append(resolved)
        }
        return planned
    }

    /// Updates the tree of `head` with the planned writes, signs the new commit and encodes the event's blocks.
    func build(did: String, head: Head, planned: [RecordWrite], key: K256PrivateKey, reader: any BlockReader) throws -> BuiltCommit {
        let repoWrites: [RepoWrite] = planned.map { write in
            switch write.action {
            case .create, .put: .create(path: write.path, cid: write.record!.cid)
            case .update: .update(path: write.path, cid: write.record!.cid)
            case .delete: .delete(path: write.path)
            }
        }
        let tree: RepoBuildResult
        do {
            tree = try RepoBuilder.apply(repoWrites, root: head.dataCID, reader: reader)
        } catch {
            throw StorageError(error.code == .invalidWrite ? .invalidWrite : .corrupt, error.message)
        }

        let commit = try signCommit(did: did, data: tree.root, after: head.rev, key: key)
        let rev = commit.rev
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
        for (cid, bytes) in tree.newNodeBlocks { include(cid, bytes) }
        for (cid, bytes) in tree.proofBlocks { include(cid, bytes) }
        guard eventBytes <= Self.maxEventBlockBytes else {
            throw StorageError(.commitTooLarge, "Too many writes. Max event size: 2MB")
        }
        return BuiltCommit(
            tree: tree, rev: rev, commitCID: commitBlock.cid, commitBytes: commitBlock.bytes,
            car: CARWriter.encode(roots: [commitBlock.cid], blocks: eventBlocks))
    }

    /// Writes a built commit on `head` (the stored head): blocks, head, records, backlinks, blobs and the event.
    func store(db: GRDB.Database, did: String, head: Head, planned: [RecordWrite], built: BuiltCommit) throws -> CommitOutcome {
        let now = EventLog.nowMicros()
        let rev = built.rev
        let tree = built.tree

        // Store blocks and move the head.
        let nowString = Datetime.format(microseconds: now)
        let insertBlock = try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO repo_block (did, cid, rev, content) VALUES (?, ?, ?, ?)")
        var bytesWritten = built.commitBytes.count
        try insertBlock.execute(arguments: [did, Data(built.commitCID.bytes), rev, Data(built.commitBytes)])
        for (cid, bytes) in tree.newNodeBlocks {
            try insertBlock.execute(arguments: [did, Data(cid.bytes), rev, Data(bytes)])
            bytesWritten += bytes.count
        }
        let deleteBlock = try db.cachedStatement(sql: "DELETE FROM repo_block WHERE did = ? AND cid = ?")
        try deleteBlock.execute(arguments: [did, Data(head.commitCID.bytes)])
        for cid in tree.removedNodeCIDs where tree.newNodeBlocks[cid] == nil {
            try deleteBlock.execute(arguments: [did, Data(cid.bytes)])
        }
        try db.cachedStatement(sql: "UPDATE repo_root SET commit_cid = ?, data_cid = ?, rev = ?, indexed_at = ? WHERE did = ?")
            .execute(arguments: [Data(built.commitCID.bytes), Data(tree.root.bytes), rev, nowString, did])

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
        let event = FirehoseEvent.commit(
            repo: did, commit: built.commitCID, rev: rev, since: head.rev, blocks: built.car, ops: tree.ops,
            prevData: head.dataCID)
        let seq = try EventLog.append([event], db: db, nowMicros: now, database: database)[0]

        return CommitOutcome(
            did: did, commitCID: built.commitCID, dataCID: tree.root, rev: rev, seq: seq, applied: applied, releasedBlobs: Array(Set(released)),
            bytesWritten: bytesWritten, blocksWritten: 1 + tree.newNodeBlocks.count + applied.filter { $0.cid != nil }.count)
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
        let commit = try signCommit(did: did, data: built.root, after: nil, key: key)
        let rev = commit.rev
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
        let seqs = announce ? try EventLog.append(events, db: db, nowMicros: nowMicros, database: database) : []
        return (Head(commitCID: block.cid, dataCID: built.root, rev: rev), seqs)
    }
}
