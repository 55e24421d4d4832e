import Foundation
import GRDB

extension EventLog {
    /// `server_meta` key of the highest seq ever trimmed away: a cursor below it has missed events.
    static let trimmedThroughKey = "firehose_trimmed_through"
}

extension Database {
    /// The oldest stored event's sequence number and time (Unix microseconds), or nil when the log is empty.
    public func firehoseOldest() async throws(StorageError) -> (seq: Int64, timeMicros: Int64)? {
        try await read(kind: "firehose_oldest") { db in
            try Row.fetchOne(db, sql: "SELECT seq, time_us FROM firehose_event ORDER BY seq LIMIT 1").map {
                (seq: $0["seq"] as Int64, timeMicros: $0["time_us"] as Int64)
            }
        }
    }

    /// The highest seq removed by ``trimFirehose(beforeMicros:batchSize:)``, or nil when nothing was ever trimmed.
    public func firehoseTrimmedThrough() async throws(StorageError) -> Int64? {
        try await read(kind: "firehose_trimmed") { db in
            try String.fetchOne(
                db, sql: "SELECT value FROM server_meta WHERE key = ?", arguments: [EventLog.trimmedThroughKey]
            ).flatMap { Int64($0) }
        }
    }

    /// The seq of the first stored event after `cursor`, with its time (Unix microseconds).
    public func firehoseNext(after cursor: Int64) async throws(StorageError) -> (seq: Int64, timeMicros: Int64)? {
        try await read(kind: "firehose_next") { db in
            try Row.fetchOne(
                db, sql: "SELECT seq, time_us FROM firehose_event WHERE seq > ? ORDER BY seq LIMIT 1", arguments: [cursor]
            ).map { (seq: $0["seq"] as Int64, timeMicros: $0["time_us"] as Int64) }
        }
    }

    /// The seq of the first stored event written at or after `micros` (Unix microseconds).
    public func firehoseFirst(atOrAfterMicros micros: Int64) async throws(StorageError) -> Int64? {
        try await read(kind: "firehose_next") { db in
            try Int64.fetchOne(
                db, sql: "SELECT seq FROM firehose_event WHERE time_us >= ? ORDER BY seq LIMIT 1", arguments: [micros])
        }
    }

    /// Deletes at most `batchSize` of the oldest events written before `beforeMicros` (Unix microseconds) in
    /// one short transaction; returns how many went. The head in `server_meta` is never touched, so trimming
    /// never lets a sequence number come back; the highest deleted seq is kept as `firehose_trimmed_through`.
    public func trimFirehose(beforeMicros: Int64, batchSize: Int) async throws(StorageError) -> Int {
        try await write(kind: "firehose_trim") { db in
            guard
                let last = try Int64.fetchOne(
                    db,
                    sql: "SELECT MAX(seq) FROM (SELECT seq FROM firehose_event WHERE time_us < ? ORDER BY seq LIMIT ?)",
                    arguments: [beforeMicros, batchSize])
            else { return 0 }
            try db.execute(
                sql: "DELETE FROM firehose_event WHERE seq <= ? AND time_us < ?", arguments: [last, beforeMicros])
            let deleted = db.changesCount
            try db.execute(
                sql: """
                    INSERT INTO server_meta (key, value) VALUES (?, ?)
                    ON CONFLICT(key) DO UPDATE SET value = CAST(MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)
                    """,
                arguments: [EventLog.trimmedThroughKey, String(last)])
            return deleted
        }
    }
}
