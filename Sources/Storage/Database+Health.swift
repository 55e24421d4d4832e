import GRDB

// MARK: - Health and size

extension Database {
    /// Sizes of the main database file and its write-ahead log.
    public struct FileSizes: Sendable, Equatable {
        public var database: Int64
        public var wal: Int64
    }

    /// A cheap read (`SELECT 1`) on a reader connection: proves the pool answers (liveness).
    public func ping() async throws(StorageError) {
        _ = try await read(kind: "health") { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// Proves the database is usable for writes (readiness): the file at ``path`` is still the file that was
    /// opened, and a small write to `server_meta` commits and reads back.
    public func roundTrip() async throws(StorageError) {
        try verifyFile()
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let echoed = try await write(kind: "health") { db -> String? in
            try db.execute(
                sql: """
                    INSERT INTO server_meta (key, value) VALUES ('health.probe', ?)
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value
                    """,
                arguments: [token])
            return try String.fetchOne(db, sql: "SELECT value FROM server_meta WHERE key = 'health.probe'")
        }
        guard echoed == token else {
            throw StorageError(.queryFailed, "database round trip returned a different value")
        }
    }

    /// Throws `fileReplaced` when the database file was deleted, moved or replaced since it was opened.
    public func verifyFile() throws(StorageError) {
        guard let current = FileIdentity(path: path) else {
            throw StorageError(.fileReplaced, "database file '\(path)' is missing (deleted or moved while open)")
        }
        if let identity, identity != current {
            throw StorageError(.fileReplaced, "database file '\(path)' was replaced while open")
        }
    }

    /// Current sizes of `pds.sqlite` and `pds.sqlite-wal` (0 for a missing file).
    public func fileSizes() -> FileSizes {
        FileSizes(database: FileIdentity.size(path: path), wal: FileIdentity.size(path: path + "-wal"))
    }

    /// Sets `pds_sqlite_db_bytes` and `pds_sqlite_wal_bytes` from ``fileSizes()`` (call before each scrape).
    public func recordFileSizes() {
        let sizes = fileSizes()
        metrics.databaseSize.record(sizes.database)
        metrics.walSize.record(sizes.wal)
    }
}
