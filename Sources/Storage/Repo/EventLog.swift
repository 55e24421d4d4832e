import ATProto
import Foundation
import GRDB

/// The firehose event log. Events are appended inside the transaction of the change they announce, each
/// encoded once into its final frame bytes.
///
/// `seq` only grows: the head is kept in `server_meta` under `firehose_head`, so neither trimming nor
/// deleting rows ever lets a number come back; on a database that never had an event the first `seq` is the
/// current time in microseconds, so an old relay cursor from a previous installation is always behind.
public enum EventLog {
    static let headKey = "firehose_head"

    /// A stored event as it goes to subscribers.
    public struct StoredEvent: Sendable, Hashable {
        public let seq: Int64
        public let did: String
        public let kind: String
        public let timeMicros: Int64
        public let frame: [UInt8]
    }

    /// Appends `events` in order; returns their sequence numbers. The events also go to the sequencer, in memory,
    /// once the transaction commits (``FirehoseFeed``). Records the time spent encoding and inserting
    /// them (`pds_sequencer_write_duration_seconds`) and each frame's size (`pds_firehose_frame_size_bytes`).
    static func append(
        _ events: [FirehoseEvent], db: GRDB.Database, nowMicros: Int64, database: Database
    ) throws -> [Int64] {
        let metrics = database.metrics
        guard !events.isEmpty else { return [] }
        let start = ContinuousClock.now
        var seq = try head(db).map { $0 + 1 } ?? nowMicros
        var assigned: [Int64] = []
        assigned.reserveCapacity(events.count)
        let statement = try db.cachedStatement(
            sql: "INSERT INTO firehose_event (seq, did, kind, time_us, frame) VALUES (?, ?, ?, ?, ?)")
        for event in events {
            let frame = event.frame(seq: seq, timeMicros: nowMicros)
            try statement.execute(arguments: [seq, event.did, event.kind, nowMicros, Data(frame)])
            database.firehoseFeed.append(
                StoredEvent(seq: seq, did: event.did, kind: event.kind, timeMicros: nowMicros, frame: frame))
            metrics.firehoseFrameSize.record(frame.count)
            assigned.append(seq)
            seq += 1
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO server_meta (key, value) VALUES (?, ?)
                ON CONFLICT(key) DO UPDATE SET value = excluded.value
                """
        ).execute(arguments: [headKey, String(seq - 1)])
        metrics.recordFirehoseWrite(ContinuousClock.now - start)
        return assigned
    }

    /// The highest sequence number ever assigned, or nil when no event was ever written.
    static func head(_ db: GRDB.Database) throws -> Int64? {
        let stored = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM server_meta WHERE key = ?"), arguments: [headKey])
            .flatMap { Int64($0) }
        let maxRow = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(seq) FROM firehose_event"))
        switch (stored, maxRow) {
        case (let s?, let m?): return max(s, m)
        case (let s?, nil): return s
        case (nil, let m?): return m
        case (nil, nil): return nil
        }
    }

    static func nowMicros() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
    }
}

extension Database {
    /// The firehose head: the highest `seq` ever assigned (nil before the first event).
    public func firehoseHead() async throws(StorageError) -> Int64? {
        try await read(kind: "firehose_head") { db in try EventLog.head(db) }
    }

    /// Appends `events` to the firehose log in one transaction, outside any repository change (benchmarks and
    /// tests fill the log with it); returns their sequence numbers.
    public func appendFirehoseEvents(_ events: [FirehoseEvent]) async throws(StorageError) -> [Int64] {
        try await write(kind: "firehose_append") { db in
            try EventLog.append(events, db: db, nowMicros: EventLog.nowMicros(), database: self)
        }
    }

    /// Stored events with `seq > after`, oldest first, at most `limit`; `kind` labels the read's
    /// `pds_db_query_duration_seconds` (`firehose_sequencer` for the sequencer's own reads).
    public func firehoseEvents(
        after: Int64, limit: Int, kind: String = "firehose_backfill"
    ) async throws(StorageError) -> [EventLog.StoredEvent] {
        try await read(kind: kind) { db in
            try Row.fetchAll(
                db, sql: "SELECT seq, did, kind, time_us, frame FROM firehose_event WHERE seq > ? ORDER BY seq LIMIT ?",
                arguments: [after, limit]
            ).map { row in
                EventLog.StoredEvent(
                    seq: row["seq"], did: row["did"], kind: row["kind"], timeMicros: row["time_us"],
                    frame: [UInt8](row["frame"] as Data))
            }
        }
    }
}
