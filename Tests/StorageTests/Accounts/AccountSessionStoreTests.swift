import ATProto
import Foundation
import GRDB
import Testing

@testable import Storage

@Suite("Accounts: refresh tokens, app passwords, invite codes")
struct AccountSessionStoreTests {
    typealias Fixture = StoreFixture

    static let t0 = "2026-11-25T10:00:00.000Z"
    static let t1 = "2026-11-25T11:00:00.000Z"
    static let grace = "2026-11-25T12:00:00.000Z"
    static let far = "2027-02-23T10:00:00.000Z"

    @Test func rotationKeepsTheNextIDWithinGrace() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.close() }
        try await fixture.account("alice")
        try await fixture.accounts.storeRefreshToken(id: "r1", did: "did:plc:alice", expiresAt: Self.far, appPasswordName: nil)

        let first = try #require(
            try await fixture.accounts.rotateRefreshToken(
                id: "r1", now: Self.t0, graceExpiresAt: Self.grace, newID: "r2", nextExpiresAt: Self.far))
        #expect(first == RefreshRotation(did: "did:plc:alice", nextID: "r2", appPasswordName: nil, appPasswordPrivileged: false))
        let old = try #require(try await fixture.accounts.refreshToken(id: "r1"))
        #expect(old.expiresAt == Self.grace && old.nextID == "r2")
        #expect(try await fixture.accounts.refreshToken(id: "r2")?.expiresAt == Self.far)

        // Reuse within the grace period: the same next id, whatever new id is offered; the grace never grows.
        let again = try await fixture.accounts.rotateRefreshToken(
            id: "r1", now: Self.t1, graceExpiresAt: "2026-11-25T13:00:00.000Z", newID: "r3", nextExpiresAt: Self.far)
        #expect(again?.nextID == "r2")
        #expect(try await fixture.accounts.refreshToken(id: "r1")?.expiresAt == Self.grace)
        #expect(try await fixture.accounts.refreshToken(id: "r3") == nil)

        // Past the grace period: refused, and the expired row is swept.
        let late = try await fixture.accounts.rotateRefreshToken(
            id: "r1", now: Self.grace, graceExpiresAt: "2026-11-25T14:00:00.000Z", newID: "r4", nextExpiresAt: Self.far)
        #expect(late == nil)
        #expect(try await fixture.accounts.refreshToken(id: "r1") == nil)
        #expect(try await fixture.accounts.refreshToken(id: "r2") != nil)
        #expect(try await fixture.accounts.rotateRefreshToken(
            id: "missing", now: Self.t0, graceExpiresAt: Self.grace, newID: "x", nextExpiresAt: Self.far) == nil)
    }

    @Test func rotationNeverOutlivesTheOriginalExpiry() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.close() }
        try await fixture.account("alice")
        try await fixture.accounts.storeRefreshToken(
            id: "r1", did: "did:plc:alice", expiresAt: "2026-11-25T10:30:00.000Z", appPasswordName: nil)
        _ = try await fixture.accounts.rotateRefreshToken(
            id: "r1", now: Self.t0, graceExpiresAt: Self.grace, newID: "r2", nextExpiresAt: Self.far)
        #expect(try await fixture.accounts.refreshToken(id: "r1")?.expiresAt == "2026-11-25T10:30:00.000Z")
        // A stored token already past its expiry cannot rotate.
        try await fixture.accounts.storeRefreshToken(
            id: "old", did: "did:plc:alice", expiresAt: "2026-11-25T09:00:00.000Z", appPasswordName: nil)
        #expect(try await fixture.accounts.rotateRefreshToken(
            id: "old", now: Self.t0, graceExpiresAt: Self.grace, newID: "r9", nextExpiresAt: Self.far) == nil)
        // Storing an existing id keeps the first row.
        try await fixture.accounts.storeRefreshToken(id: "r2", did: "did:plc:alice", expiresAt: Self.t1, appPasswordName: "x")
        #expect(try await fixture.accounts.refreshToken(id: "r2")?.expiresAt == Self.far)
    }

    @Test func revocation() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.close() }
        try await fixture.account("alice")
        try await fixture.account("bob")
        for id in ["a1", "a2"] {
            try await fixture.accounts.storeRefreshToken(id: id, did: "did:plc:alice", expiresAt: Self.far, appPasswordName: nil)
        }
        try await fixture.accounts.storeRefreshToken(id: "b1", did: "did:plc:bob", expiresAt: Self.far, appPasswordName: nil)
        #expect(try await fixture.accounts.revokeRefreshToken(id: "a1"))
        #expect(try await !fixture.accounts.revokeRefreshToken(id: "a1"))
        #expect(try await fixture.accounts.revokeRefreshTokens(did: "did:plc:alice") == 1)
        #expect(try await fixture.accounts.refreshToken(id: "a2") == nil)
        #expect(try await fixture.accounts.refreshToken(id: "b1") != nil)
    }

    @Test func appPasswords() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.close() }
        try await fixture.account("alice")
        let created = try await fixture.accounts.createAppPassword(
            did: "did:plc:alice", name: "one", passwordScrypt: "salt:hash1", privileged: false, createdAt: Self.t0)
        #expect(created == AppPasswordRecord(name: "one", createdAt: Self.t0, privileged: false))
        _ = try await fixture.accounts.createAppPassword(
            did: "did:plc:alice", name: "two", passwordScrypt: "salt:hash2", privileged: true, createdAt: Self.t1)
        await #expect(throws: StorageError.self) {
            try await fixture.accounts.createAppPassword(
                did: "did:plc:alice", name: "one", passwordScrypt: "salt:hash3", privileged: false, createdAt: Self.t1)
        }
        do throws(StorageError) {
            _ = try await fixture.accounts.createAppPassword(
                did: "did:plc:nobody", name: "one", passwordScrypt: "s:h", privileged: false, createdAt: Self.t1)
            Issue.record("expected repoNotFound")
        } catch {
            #expect(error.code == .repoNotFound)
        }
        #expect(try await fixture.accounts.appPasswords(did: "did:plc:alice").map(\.name) == ["two", "one"])
        #expect(try await fixture.accounts.appPassword(did: "did:plc:alice", passwordScrypt: "salt:hash2")?.privileged == true)
        #expect(try await fixture.accounts.appPassword(did: "did:plc:alice", passwordScrypt: "salt:nope") == nil)

        // App-password sessions rotate with their privileged flag, and die with the password.
        try await fixture.accounts.storeRefreshToken(id: "p1", did: "did:plc:alice", expiresAt: Self.far, appPasswordName: "two")
        try await fixture.accounts.storeRefreshToken(id: "p2", did: "did:plc:alice", expiresAt: Self.far, appPasswordName: "one")
        let rotated = try await fixture.accounts.rotateRefreshToken(
            id: "p1", now: Self.t0, graceExpiresAt: Self.grace, newID: "p3", nextExpiresAt: Self.far)
        #expect(rotated == RefreshRotation(did: "did:plc:alice", nextID: "p3", appPasswordName: "two", appPasswordPrivileged: true))
        #expect(try await fixture.accounts.revokeAppPassword(did: "did:plc:alice", name: "two"))
        #expect(try await !fixture.accounts.revokeAppPassword(did: "did:plc:alice", name: "two"))
        #expect(try await fixture.accounts.refreshToken(id: "p1") == nil)
        #expect(try await fixture.accounts.refreshToken(id: "p3") == nil)
        #expect(try await fixture.accounts.refreshToken(id: "p2") != nil)
        #expect(try await fixture.accounts.appPasswords(did: "did:plc:alice").map(\.name) == ["one"])

        // A token naming an app password that no longer exists cannot rotate.
        try await fixture.accounts.storeRefreshToken(id: "ghost", did: "did:plc:alice", expiresAt: Self.far, appPasswordName: "gone")
        #expect(try await fixture.accounts.rotateRefreshToken(
            id: "ghost", now: Self.t0, graceExpiresAt: Self.grace, newID: "g2", nextExpiresAt: Self.far) == nil)
    }

    @Test func inviteCodes() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.close() }
        try await fixture.account("alice")
        try await fixture.accounts.createInviteCodes(
            [(forAccount: "did:plc:alice", codes: ["c-1", "c-2"]), (forAccount: "admin", codes: ["c-3"])], useCount: 2,
            createdBy: "admin", createdAt: Self.t0)
        await #expect(throws: StorageError.self) {
            try await fixture.accounts.createInviteCodes(
                [(forAccount: "admin", codes: ["c-4", "c-1"])], useCount: 1, createdBy: "admin", createdAt: Self.t1)
        }
        #expect(try await fixture.accounts.inviteCode("c-4") == nil)  // all or nothing

        try await fixture.account("bob", inviteCode: "c-1")
        try await fixture.account("carol", inviteCode: "c-1")
        let codes = try await fixture.accounts.inviteCodes(forAccount: "did:plc:alice")
        #expect(codes.map(\.code) == ["c-1", "c-2"])
        #expect(codes[0].uses.map(\.usedBy).sorted() == ["did:plc:bob", "did:plc:carol"])
        #expect(codes[0].available == 2 && !codes[0].disabled && codes[0].createdBy == "admin" && codes[0].createdAt == Self.t0)
        #expect(codes[1].uses.isEmpty)
        await #expect(throws: StorageError.self) { try await fixture.account("dave", inviteCode: "c-1") }
        #expect(try await fixture.accounts.inviteCodes(forAccount: "admin").map(\.code) == ["c-3"])
        #expect(try await fixture.accounts.inviteCode("c-3")?.forAccount == "admin")
    }
}
