import Foundation
import GRDB
import MetricsTestKit
import Testing

@testable import Storage

@Suite struct MigrationRunnerTests {
    static let first = Migration(name: "0001_first", sql: "CREATE TABLE a (id INTEGER PRIMARY KEY);")
    static let second = Migration(name: "0002_second", sql: "CREATE TABLE b (id INTEGER PRIMARY KEY);")

    func tables(_ database: Storage.Database) async throws -> [String] {
        try await database.read(kind: "test") { db in
            try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        }
    }

    @Test func embeddedMigrationsApplyOnFreshDatabaseAndSecondStartIsNoOp() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        do {
            let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
            let outcome = try await database.migrate()
            #expect(outcome.applied == EmbeddedMigrations.all.map(\.name))
            #expect(outcome.alreadyApplied.isEmpty)
            #expect(try await tables(database).contains("server_meta"))
            #expect(try await database.pendingMigrations().isEmpty)
            try database.close()
        }
        let reopened = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        let before = try await reopened.appliedMigrations()
        let outcome = try await reopened.migrate()
        #expect(outcome.applied.isEmpty)
        #expect(outcome.alreadyApplied == EmbeddedMigrations.all.map(\.name))
        #expect(try await reopened.appliedMigrations() == before)
        let recorded = try #require(before.first)
        #expect(recorded.checksum == EmbeddedMigrations.all[0].checksum)
        try reopened.close()
    }

    /// Migrations sort with temporary files (a CREATE INDEX on a large table must not sort in memory); serving
    /// goes back to temp_store = MEMORY afterwards.
    @Test func migrationsRunWithTemporaryFilesThenMemoryAgain() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        defer { try? database.close() }
        let probe = Migration(name: "0001_probe", sql: "CREATE TABLE seen AS SELECT temp_store FROM pragma_temp_store;")
        try await database.migrate([probe])
        let (during, after) = try await database.write(kind: "test") { db in
            (try Int.fetchOne(db, sql: "SELECT temp_store FROM seen"), try Int.fetchOne(db, sql: "PRAGMA temp_store"))
        }
        #expect(during == 1)  // FILE
        #expect(after == 2)  // MEMORY
    }

    @Test func appliesOnlyNewMigrationsInOrder() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        #expect(try await database.migrate([Self.first]).applied == ["0001_first"])
        #expect(try await database.pendingMigrations([Self.first, Self.second]) == ["0002_second"])
        let outcome = try await database.migrate([Self.first, Self.second])
        #expect(outcome.applied == ["0002_second"])
        #expect(outcome.alreadyApplied == ["0001_first"])
        #expect(try await tables(database) == ["a", "b", "schema_migrations"])
        try database.close()
    }

    @Test func editedAppliedMigrationIsRefused() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        try await database.migrate([Self.first])
        let edited = Migration(name: "0001_first", sql: "CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT);")
        let error = await #expect(throws: StorageError.self) {
            try await database.migrate([edited, Self.second])
        }
        #expect(error?.code == .migrationChecksumMismatch)
        #expect(error?.message.contains("0001_first") == true)
        // Nothing of the later migration was applied.
        #expect(try await tables(database) == ["a", "schema_migrations"])
        try database.close()
    }

    @Test func unknownAppliedMigrationIsRefused() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        try await database.migrate([Self.first, Self.second])
        let error = await #expect(throws: StorageError.self) {
            try await database.migrate([Self.first])
        }
        #expect(error?.code == .unknownMigration)
        #expect(error?.message.contains("0002_second") == true)
        try database.close()
    }

    @Test func failingMigrationRollsBackAndLeavesDatabaseAsItWas() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        try await database.migrate([Self.first])
        try await database.write(kind: "test") { db in try db.execute(sql: "INSERT INTO a (id) VALUES (7)") }
        let broken = Migration(
            name: "0002_broken",
            sql: """
                CREATE TABLE b (id INTEGER PRIMARY KEY);
                INSERT INTO a (id) VALUES (8);
                INSERT INTO no_such_table VALUES (1);
                """)
        let error = await #expect(throws: StorageError.self) {
            try await database.migrate([Self.first, broken])
        }
        #expect(error?.code == .migrationFailed)
        #expect(error?.message.contains("0002_broken") == true)
        #expect(error?.message.contains("no_such_table") == true)
        #expect(try await tables(database) == ["a", "schema_migrations"])
        let ids = try await database.read(kind: "test") { db in try Int.fetchAll(db, sql: "SELECT id FROM a") }
        #expect(ids == [7])
        #expect(try await database.appliedMigrations().map(\.name) == ["0001_first"])
        try database.close()
    }

    @Test func failingFirstMigrationLeavesEmptyDatabase() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        let broken = Migration(name: "0001_broken", sql: "CREATE TABLE a (id INTEGER); SELECT * FROM missing;")
        await #expect(throws: StorageError.self) { try await database.migrate([broken]) }
        #expect(try await tables(database).isEmpty)
        try database.close()
    }

    @Test func migrationThatCommitsItselfIsRejected() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        let sneaky = Migration(name: "0001_sneaky", sql: "CREATE TABLE a (id INTEGER); COMMIT;")
        let error = await #expect(throws: StorageError.self) { try await database.migrate([sneaky]) }
        #expect(error?.code == .invalidMigration || error?.code == .migrationFailed)
        #expect(try await database.appliedMigrations().isEmpty)
        try database.close()
    }

    @Test(arguments: [
        [Migration(name: "first", sql: "SELECT 1;")],
        [Migration(name: "0001_Upper", sql: "SELECT 1;")],
        [Migration(name: "0002_b", sql: "SELECT 1;"), Migration(name: "0001_a", sql: "SELECT 1;")],
        [Migration(name: "0001_a", sql: "SELECT 1;"), Migration(name: "0001_b", sql: "SELECT 1;")],
        [Migration(name: "0001_empty", sql: "  \n")],
    ])
    func invalidMigrationListsAreRejected(_ list: [Migration]) throws {
        #expect(throws: StorageError.self) { try MigrationRunner(migrations: list) }
    }

    @Test func migrationNumberedBelowAppliedOneIsRefused() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let database = try await Storage.Database.open(path: dir.databasePath, logger: testLogger)
        try await database.migrate([Self.second])
        let error = await #expect(throws: StorageError.self) {
            try await database.migrate([Self.first, Self.second])
        }
        #expect(error?.code == .invalidMigration)
        try database.close()
    }
}
