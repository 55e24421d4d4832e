import Foundation
import GRDB
import Logging

/// Applies numbered ``Migration``s to a database, each inside its own transaction, and records them
/// (name, checksum, time) in the `schema_migrations` table.
///
/// - A migration already recorded is skipped; if its checksum changed, the run is refused.
/// - A migration recorded in the database but unknown to this binary is refused (a newer `pds` wrote it).
/// - A failing migration is rolled back, leaving the database as it was before that migration.
/// - Migration SQL must not contain `BEGIN`/`COMMIT`/`ROLLBACK` statements: the runner owns the transaction.
public struct MigrationRunner: Sendable {
    /// What one run did.
    public struct Outcome: Sendable, Equatable {
        /// Names applied by this run, in order.
        public var applied: [String]
        /// Names that were already recorded before this run.
        public var alreadyApplied: [String]
    }

    /// One row of `schema_migrations`.
    public struct AppliedMigration: Sendable, Equatable {
        public var name: String
        public var checksum: String
        public var appliedAt: String
    }

    public let migrations: [Migration]

    /// Validates the list: names `NNNN_lowercase_name`, numbers strictly increasing, non-empty SQL.
    public init(migrations: [Migration]) throws(StorageError) {
        var previous: Int?
        for migration in migrations {
            guard let number = migration.number else {
                throw StorageError(
                    .invalidMigration,
                    "migration name '\(migration.name)' must look like 0001_lowercase_name")
            }
            if let previous, number <= previous {
                throw StorageError(
                    .invalidMigration,
                    "migration '\(migration.name)' is out of order: numbers must strictly increase")
            }
            if migration.sql.allSatisfy({ $0.isWhitespace }) {
                throw StorageError(.invalidMigration, "migration '\(migration.name)' has no SQL")
            }
            previous = number
        }
        self.migrations = migrations
    }

    static let createTableSQL = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            name TEXT PRIMARY KEY NOT NULL,
            checksum TEXT NOT NULL,
            applied_at TEXT NOT NULL
        ) STRICT
        """

    /// Reads `schema_migrations` (empty when the table does not exist yet).
    static func appliedMigrations(_ db: GRDB.Database) throws -> [AppliedMigration] {
        guard try db.tableExists("schema_migrations") else { return [] }
        return try Row.fetchAll(db, sql: "SELECT name, checksum, applied_at FROM schema_migrations ORDER BY name")
            .map { row in
                AppliedMigration(name: row["name"], checksum: row["checksum"], appliedAt: row["applied_at"])
            }
    }

    /// Checks recorded migrations against this list and returns the ones still to apply, in order.
    func pending(given applied: [AppliedMigration]) throws(StorageError) -> [Migration] {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.name, $0) })
        for record in applied {
            guard let migration = known[record.name] else {
                throw StorageError(
                    .unknownMigration,
                    "the database has migration '\(record.name)' that this pds does not know; "
                        + "it was written by a newer version: run that version or restore a backup")
            }
            if migration.checksum != record.checksum {
                throw StorageError(
                    .migrationChecksumMismatch,
                    "migration '\(record.name)' was edited after it was applied "
                        + "(recorded sha256 \(record.checksum), now \(migration.checksum)); "
                        + "restore the original file and put the change in a new migration")
            }
        }
        let appliedNames = Set(applied.map(\.name))
        let pending = migrations.filter { !appliedNames.contains($0.name) }
        if let newestApplied = applied.compactMap({ known[$0.name]?.number }).max(),
            let stale = pending.first(where: { ($0.number ?? 0) < newestApplied })
        {
            throw StorageError(
                .invalidMigration,
                "migration '\(stale.name)' is numbered below an already-applied migration; renumber it after the newest")
        }
        return pending
    }

    /// Applies every pending migration on the writer connection.
    public func run(on writer: some DatabaseWriter, logger: Logger) async throws(StorageError) -> Outcome {
        let runner = self
        do {
            return try await writer.writeWithoutTransaction { db in
                // The connections keep temporary data in memory (`Database.open`), but a migration may sort a whole
                // table (CREATE INDEX): let those sorts spill to temporary files, then go back.
                let tempStore = try Int.fetchOne(db, sql: "PRAGMA temp_store") ?? 0
                try db.execute(sql: "PRAGMA temp_store = FILE")
                defer { try? db.execute(sql: "PRAGMA temp_store = \(tempStore)") }
                return try runner.runSync(db, logger: logger)
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.migrationFailed, "could not run migrations", underlying: error)
        }
    }

    private func runSync(_ db: GRDB.Database, logger: Logger) throws -> Outcome {
        let applied = try Self.appliedMigrations(db)
        let pending = try self.pending(given: applied)
        var done: [String] = []
        for migration in pending {
            let start = ContinuousClock.now
            do {
                try db.inTransaction(.immediate) {
                    try db.execute(sql: Self.createTableSQL)
                    try db.execute(sql: migration.sql)
                    guard db.isInsideTransaction else {
                        throw StorageError(
                            .invalidMigration,
                            "migration '\(migration.name)' ended the transaction itself; remove BEGIN/COMMIT/ROLLBACK from it")
                    }
                    try db.execute(
                        sql: "INSERT INTO schema_migrations (name, checksum, applied_at) VALUES (?, ?, ?)",
                        arguments: [migration.name, migration.checksum, Self.timestamp()])
                    return .commit
                }
            } catch let error as StorageError {
                throw error
            } catch {
                let reason = (error as? DatabaseError)?.message ?? "\(error)"
                throw StorageError(
                    .migrationFailed,
                    "migration '\(migration.name)' failed and was rolled back: \(reason)", underlying: error)
            }
            let elapsed = ContinuousClock.now - start
            logger.info(
                "applied migration",
                metadata: [
                    "migration": "\(migration.name)",
                    "duration_ms": "\(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)",
                ])
            done.append(migration.name)
        }
        return Outcome(applied: done, alreadyApplied: applied.map(\.name))
    }

    static func timestamp() -> String {
        Date().formatted(.iso8601)
    }
}
