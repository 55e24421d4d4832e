import Foundation
import GRDB

extension Database {
    /// Stored events with `seq > after`, oldest first, at most `limit`, each turned into a value by `make` from its
    /// seq, kind and stored frame bytes. The bytes are SQLite's own, valid only during the call: `make` copies
    /// them once into whatever the caller sends (the firehose backfill builds its socket buffers here), with no
    /// intermediate row, `Data` or array copies.
    public func firehoseFrames<T: Sendable>(
        after: Int64, limit: Int,
        _ make: @escaping @Sendable (_ seq: Int64, _ kind: String, _ frame: UnsafeRawBufferPointer) -> T
    ) async throws(StorageError) -> [T] {
        try await read(kind: "firehose_backfill") { db in
            let rows = try Row.fetchCursor(
                db, sql: "SELECT seq, kind, frame FROM firehose_event WHERE seq > ? ORDER BY seq LIMIT ?",
                arguments: [after, limit])
            var values: [T] = []
            values.reserveCapacity(min(limit, 4_096))
            while let row = try rows.next() {
                let seq: Int64 = row[0]
                let kind: String = row[1]
                let value = try row.withUnsafeData(atIndex: 2) { data -> T in
                    guard let data else { return make(seq, kind, UnsafeRawBufferPointer(start: nil, count: 0)) }
                    return data.withUnsafeBytes { make(seq, kind, $0) }
                }
                values.append(value)
            }
            return values
        }
    }
}
