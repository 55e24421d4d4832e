import ATProto
import Foundation
import GRDB

/// One repository's blocks in pages, for `com.atproto.sync.getRepo`: the head commit first, then the MST
/// nodes (`repo_block`, in CID order) and the record blocks (`record`, in path order), at most ``pageSize`` rows
/// per page, each page one range of the table's primary key.
///
/// Every page is read from one database snapshot taken when the stream opens, so the export is the
/// repository exactly at its head commit even while writes go on; only one page is ever held in memory.
/// With `since`, only blocks written in a revision after it (the reference's `repoRev > since`): the same walk
/// over the repository's rows, keeping the newer ones (no index on revisions: it would cost every commit pages).
public struct RepoExportStream: Sendable {
    public let did: String
    /// The head at the snapshot: the CAR's root.
    public let head: RepoStore.Head
    public let since: String?
    public let pageSize: Int

    private let snapshot: DatabaseSnapshot
    private let metrics: DatabaseMetrics
    private var phase: Phase = .commit

    private enum Phase: Sendable {
        case commit
        /// Next `repo_block` page after this CID; nil for the first page.
        case nodes(after: Data?)
        /// Next `record` page after this (collection, rkey).
        case records(after: (collection: String, rkey: String)?)
        case done
    }

    /// Opens a snapshot and reads the head of `did`; nil when there is no repository.
    public static func open(
        database: Database, did: String, since: String?, pageSize: Int = 500
    ) async throws(StorageError) -> RepoExportStream? {
        let pool = database.pool
        // Opening the snapshot's connection is file I/O: done on a GRDB reader queue, not the caller's thread.
        let snapshot = try await database.read(kind: "repo_export_open") { _ in try pool.makeSnapshot() }
        let head: RepoStore.Head?
        do {
            head = try await snapshot.read { db in try RepoStore.head(db: db, did: did) }
        } catch {
            throw Database.wrap(error, kind: "repo_export_open")
        }
        guard let head else { return nil }
        return RepoExportStream(
            did: did, head: head, since: since, pageSize: max(1, pageSize), snapshot: snapshot, metrics: database.metrics)
    }

    private init(
        did: String, head: RepoStore.Head, since: String?, pageSize: Int, snapshot: DatabaseSnapshot, metrics: DatabaseMetrics
    ) {
        self.did = did
        self.head = head
        self.since = since
        self.pageSize = pageSize
        self.snapshot = snapshot
        self.metrics = metrics
    }

    /// The next blocks; empty once the repository has been read whole.
    public mutating func nextPage() async throws(StorageError) -> [CARBlock] {
        while true {
            switch phase {
            case .done:
                return []
            case .commit:
                phase = .nodes(after: nil)
                if let since, head.rev <= since { continue }
                let did = self.did
                let cid = Data(head.commitCID.bytes)
                let bytes = try await read(kind: "repo_export_commit") { db in
                    try Data.fetchOne(db, sql: "SELECT content FROM repo_block WHERE did = ? AND cid = ?", arguments: [did, cid])
                }
                guard let bytes else {
                    throw StorageError(.corrupt, "the head commit \(head.commitCID.string) of \(did) is not stored")
                }
                return [CARBlock(cid: head.commitCID, bytes: [UInt8](bytes))]
            case .nodes(let after):
                let page = try await nodePage(after: after)
                if page.rows.count < pageSize {
                    phase = .records(after: nil)
                } else if let last = page.rows.last {
                    phase = .nodes(after: last.cid)
                }
                if page.blocks.isEmpty { continue }
                return page.blocks
            case .records(let after):
                let page = try await recordPage(after: after)
                if page.count < pageSize {
                    phase = .done
                } else if let last = page.last {
                    phase = .records(after: (last.collection, last.rkey))
                }
                if page.isEmpty { continue }
                return try page.map { row throws(StorageError) in
                    CARBlock(cid: try Self.cid(row.cid), bytes: [UInt8](row.content))
                }
            }
        }
    }

    // MARK: Pages

    private struct NodeRow: Sendable {
        let cid: Data
        let content: Data
    }

    private func nodePage(after: Data?) async throws(StorageError) -> (rows: [NodeRow], blocks: [CARBlock]) {
        var sql = "SELECT cid, content FROM repo_block WHERE did = ?"
        var arguments: StatementArguments = [did]
        if let since {
            sql += " AND rev > ?"
            arguments += [since]
        }
        if let after {
            sql += " AND cid > ?"
            arguments += [after]
        }
        sql += " ORDER BY cid LIMIT ?"
        arguments += [pageSize]
        let query = sql
        let bound = arguments
        let rows = try await read(kind: "repo_export_nodes") { db in
            try Row.fetchAll(db, sql: query, arguments: bound).map { row in
                NodeRow(cid: row["cid"], content: row["content"])
            }
        }
        let commit = head.commitCID
        var blocks: [CARBlock] = []
        blocks.reserveCapacity(rows.count)
        for row in rows {
            let cid = try Self.cid(row.cid)
            if cid == commit { continue }  // sent first
            blocks.append(CARBlock(cid: cid, bytes: [UInt8](row.content)))
        }
        return (rows, blocks)
    }

    private struct RecordRow: Sendable {
        let collection: String
        let rkey: String
        let cid: Data
        let content: Data
    }

    private func recordPage(after: (collection: String, rkey: String)?) async throws(StorageError) -> [RecordRow] {
        var sql = "SELECT collection, rkey, cid, content FROM record WHERE did = ?"
        var arguments: StatementArguments = [did]
        if let since {
            sql += " AND rev > ?"
            arguments += [since]
        }
        if let after {
            sql += " AND (collection, rkey) > (?, ?)"
            arguments += [after.collection, after.rkey]
        }
        sql += " ORDER BY collection, rkey LIMIT ?"
        arguments += [pageSize]
        let query = sql
        let bound = arguments
        return try await read(kind: "repo_export_records") { db in
            try Row.fetchAll(db, sql: query, arguments: bound).map { row in
                RecordRow(collection: row["collection"], rkey: row["rkey"], cid: row["cid"], content: row["content"])
            }
        }
    }

    private static func cid(_ data: Data) throws(StorageError) -> CID {
        do {
            return try CID(bytes: data)
        } catch {
            throw StorageError(.corrupt, "stored CID is invalid: \(error)")
        }
    }

    private func read<T: Sendable>(kind: String, _ body: @escaping @Sendable (GRDB.Database) throws -> T) async throws(StorageError) -> T {
        let start = ContinuousClock.now
        do {
            let value = try await snapshot.read(body)
            metrics.record(kind: kind, duration: ContinuousClock.now - start, failed: false)
            return value
        } catch {
            metrics.record(kind: kind, duration: ContinuousClock.now - start, failed: true)
            throw Database.wrap(error, kind: kind)
        }
    }
}
