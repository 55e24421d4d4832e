import ATProto
import Foundation
import GRDB
import Testing

@testable import Storage

@Suite("Accounts: admin status changes and counts")
struct AccountAdminStoreTests {
    typealias Fixture = StoreFixture

    @Test func countsFollowTakedownsAndDeactivations() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.close() }
        for name in ["alice", "bob", "carol", "dave"] { try await fixture.account(name) }
        #expect(try await fixture.accounts.countsByStatus() == ["active": 4, "deactivated": 0, "takendown": 0])

        let down = try #require(try await fixture.accounts.setTakedown(did: "did:plc:alice", ref: "r1"))
        #expect(down.account.status == "takendown")
        #expect(down.seqs.count == 1)
        _ = try await fixture.accounts.setDeactivated(did: "did:plc:bob", true)
        // Taken down and deactivated counts once, as taken down.
        _ = try await fixture.accounts.setDeactivated(did: "did:plc:alice", true)
        #expect(try await fixture.accounts.countsByStatus() == ["active": 2, "deactivated": 1, "takendown": 1])

        // Reactivating a taken-down account announces it still taken down.
        let still = try #require(try await fixture.accounts.setDeactivated(did: "did:plc:alice", false))
        #expect(still.account.status == "takendown")
        #expect(still.seqs.count == 1)
        _ = try await fixture.accounts.setTakedown(did: "did:plc:alice", ref: nil)
        _ = try #require(try await fixture.accounts.deleteAccount(did: "did:plc:carol"))
        #expect(try await fixture.accounts.countsByStatus() == ["active": 2, "deactivated": 1, "takendown": 0])

        #expect(try await fixture.accounts.setTakedown(did: "did:plc:nobody", ref: "r") == nil)
        #expect(try await fixture.accounts.setDeactivated(did: "did:plc:nobody", true) == nil)
        #expect(try await fixture.accounts.deleteAccount(did: "did:plc:nobody") == nil)
    }

    @Test func countingUsesThePartialIndexes() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.close() }
        let plan = try await fixture.database.read(kind: "test") { db in
            try Row.fetchAll(
                db,
                sql: """
                    EXPLAIN QUERY PLAN SELECT (SELECT COUNT(*) FROM account WHERE takedown_ref IS NOT NULL),
                        (SELECT COUNT(*) FROM account WHERE deactivated_at IS NOT NULL AND takedown_ref IS NULL)
                    """
            ).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("account_takendown") })
        #expect(plan.contains { $0.contains("account_deactivated") })
    }

    @Test func handleAndEmailConflictsAreRefused() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.close() }
        try await fixture.account("alice")
        try await fixture.account("bob")
        await #expect(throws: StorageError.self) { try await fixture.accounts.updateHandle(did: "did:plc:alice", handle: "BOB.test") }
        await #expect(throws: StorageError.self) { try await fixture.accounts.updateEmail(did: "did:plc:alice", email: "bob@example.com") }
        #expect(try await fixture.accounts.updateHandle(did: "did:plc:alice", handle: "alice2.test") != nil)
        #expect(try await fixture.accounts.updateHandle(did: "did:plc:nobody", handle: "x.test") == nil)
        #expect(try await fixture.accounts.updateEmail(did: "did:plc:alice", email: "A2@example.com"))
        #expect(try await fixture.accounts.account(did: "did:plc:alice")?.email == "a2@example.com")
    }
}
