import GRDB

// MARK: - server_meta key/value table

extension Database {
    /// The value stored under `key` in `server_meta`, or nil.
    public func meta(_ key: String) async throws(StorageError) -> String? {
        try await read(kind: "meta") { db in
            try String.fetchOne(db, sql: "SELECT value FROM server_meta WHERE key = ?", arguments: [key])
        }
    }

    /// Stores `value` under `key` in `server_meta` (insert or replace).
    public func setMeta(_ key: String, _ value: String) async throws(StorageError) {
        try await write(kind: "meta") { db in
            try db.execute(
                sql: """
                    INSERT INTO server_meta (key, value) VALUES (?, ?)
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value
                    """,
                arguments: [key, value])
        }
    }
}
