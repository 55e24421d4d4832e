import ATProto
import Foundation
import GRDB
import Testing

@testable import Storage

/// Account lookups by DID come from a cache that every committed change to an account empties.
@Suite struct AccountCacheTests {
    @Test func everyAccountChangeIsSeenByTheNextLookup() async throws {
        let f = try await StoreFixture.make()
        defer { f.close() }
        let did = "did:plc:cached"
        try await f.account("cached")
        #expect(try await f.accounts.account(did: did)?.handle == "cached.test")
        #expect(f.accounts.cache.lookup(did: did).record?.handle == "cached.test")

        _ = try await f.accounts.updateHandle(did: did, handle: "renamed.test")
        #expect(f.accounts.cache.lookup(did: did).record == nil)
        #expect(try await f.accounts.account(did: did)?.handle == "renamed.test")

        _ = try await f.accounts.setTakedown(did: did, ref: "mod-1")
        #expect(try await f.accounts.account(did: did)?.takedownRef == "mod-1")
        _ = try await f.accounts.setTakedown(did: did, ref: nil)
        #expect(try await f.accounts.account(did: did)?.takedownRef == nil)

        _ = try await f.accounts.setDeactivated(did: did, true)
        #expect(try await f.accounts.account(did: did)?.deactivatedAt != nil)

        // A change made with plain SQL is seen too (the observer watches the table, not the API).
        try await f.database.write(kind: "test") { db in
            try db.execute(sql: "UPDATE account SET email = 'other@example.com' WHERE did = ?", arguments: [did])
        }
        #expect(try await f.accounts.account(did: did)?.email == "other@example.com")

        _ = try await f.accounts.deleteAccount(did: did)
        #expect(try await f.accounts.account(did: did) == nil)
    }

    @Test func aRowReadBeforeAChangeIsNotKept() async throws {
        let f = try await StoreFixture.make()
        defer { f.close() }
        let did = "did:plc:racer"
        try await f.account("racer")
        let stale = try #require(try await f.database.read(kind: "test") { db in
            try Row.fetchOne(db, sql: "SELECT \(AccountRecord.columns) FROM account WHERE did = ?", arguments: [did]).map(AccountRecord.init(row:))
        })
        // A lookup noted the generation, then a takedown committed before it could store what it had read.
        let generation = f.accounts.cache.lookup(did: did).generation
        _ = try await f.accounts.setTakedown(did: did, ref: "mod-2")
        f.accounts.cache.store(stale, generation: generation)
        #expect(f.accounts.cache.lookup(did: did).record == nil)
        #expect(try await f.accounts.account(did: did)?.takedownRef == "mod-2")
    }

    @Test func rolledBackChangesKeepTheCache() async throws {
        let f = try await StoreFixture.make()
        defer { f.close() }
        let did = "did:plc:steady"
        try await f.account("steady")
        _ = try await f.accounts.account(did: did)
        await #expect(throws: StorageError.self) {
            try await f.database.write(kind: "test") { db in
                try db.execute(sql: "UPDATE account SET email = 'x@example.com' WHERE did = ?", arguments: [did])
                throw StorageError(.invalidWrite, "abandon")
            }
        }
        #expect(f.accounts.cache.lookup(did: did).record?.email == "steady@example.com")
        #expect(try await f.accounts.account(did: did)?.email == "steady@example.com")
    }
}
