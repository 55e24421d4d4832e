import ATProto
import CoreMetrics

@testable import Storage

/// A migrated database in a fresh temp folder with the account and repository stores on top.
struct StoreFixture {
    let dir: TempDirectory
    let database: Storage.Database
    let repos: RepoStore
    let accounts: AccountStore

    static func make(metricsFactory: (any MetricsFactory)? = nil) async throws -> StoreFixture {
        let dir = try TempDirectory()
        let database = try await Storage.Database.open(
            path: dir.databasePath, metricsFactory: metricsFactory, logger: testLogger)
        try await database.migrate()
        let repos = RepoStore(database: database)
        return StoreFixture(dir: dir, database: database, repos: repos, accounts: AccountStore(repos: repos))
    }

    /// Creates `did:plc:<name>` with handle `<name>.test` and email `<name>@example.com`.
    @discardableResult
    func account(_ name: String, key: K256PrivateKey = K256PrivateKey(), inviteCode: String? = nil) async throws
        -> AccountStore.Created
    {
        try await accounts.create(
            .init(
                did: "did:plc:\(name)", handle: "\(name).test", email: "\(name)@example.com", passwordScrypt: nil,
                signingKey: key, inviteCode: inviteCode))
    }

    func close() {
        try? database.close()
        dir.remove()
    }
}
