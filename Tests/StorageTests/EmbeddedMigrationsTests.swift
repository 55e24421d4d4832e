import Foundation
import Testing

@testable import Storage

/// Fails when `Sources/Storage/Generated/EmbeddedMigrations.swift` no longer matches `migrations/*.sql`:
/// run `scripts/embed-migrations.sh` after adding or editing a migration.
@Suite struct EmbeddedMigrationsTests {
    static let migrationsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("migrations", isDirectory: true)

    @Test func embeddedCopyMatchesMigrationFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.migrationsDirectory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        #expect(!files.isEmpty)
        let names = files.map { String($0.dropLast(4)) }
        #expect(
            EmbeddedMigrations.all.map(\.name) == names,
            "embedded migrations are stale: run scripts/embed-migrations.sh")
        for file in files {
            let name = String(file.dropLast(4))
            let data = try Data(contentsOf: Self.migrationsDirectory.appendingPathComponent(file))
            let text = try #require(String(data: data, encoding: .utf8))
            let embedded = try #require(EmbeddedMigrations.all.first { $0.name == name })
            #expect(embedded.sql == text, "\(file) differs from its embedded copy: run scripts/embed-migrations.sh")
            #expect(embedded.checksum == Migration.sha256Hex(text), "\(file): embedded checksum is stale")
        }
    }

    @Test func embeddedListIsValid() throws {
        _ = try MigrationRunner(migrations: EmbeddedMigrations.all)
    }

    @Test func sha256MatchesKnownVector() {
        #expect(Migration.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
