import Foundation
import GRDB

/// A stored refresh token (the `refresh_token` table): one row per refresh JWT `jti`.
public struct RefreshTokenRecord: Sendable, Hashable {
    public let id: String
    public let did: String
    /// ISO 8601 UTC, compared as text (every time in the table has the same format).
    public let expiresAt: String
    public let appPasswordName: String?
    /// Set once the token was rotated: reusing it within the grace period yields this id again.
    public let nextID: String?
}

/// What a refresh token rotation produced.
public struct RefreshRotation: Sendable, Hashable {
    public let did: String
    /// The id of the new refresh token (the old token's `next_id`, so a reuse within the grace period gives the
    /// same id).
    public let nextID: String
    /// The app password of the session, with its privileged flag; nil for a full session.
    public let appPasswordName: String?
    public let appPasswordPrivileged: Bool
}

extension AccountStore {
    /// Stores a new refresh token; an existing row with the same id is kept as it is (a re-grant within the grace
    /// period).
    public func storeRefreshToken(id: String, did: String, expiresAt: String, appPasswordName: String?) async throws(StorageError) {
        try await database.write(kind: "refresh_token_store") { db in
            try db.execute(
                sql: """
                    INSERT INTO refresh_token (id, did, expires_at, app_password_name) VALUES (?, ?, ?, ?)
                    ON CONFLICT (id) DO NOTHING
                    """,
                arguments: [id, did, expiresAt, appPasswordName])
        }
    }

    public func refreshToken(id: String) async throws(StorageError) -> RefreshTokenRecord? {
        try await database.read(kind: "refresh_token_get") { db in
            try Row.fetchOne(
                db, sql: "SELECT id, did, expires_at, app_password_name, next_id FROM refresh_token WHERE id = ?",
                arguments: [id]
            ).map { row in
                RefreshTokenRecord(
                    id: row["id"], did: row["did"], expiresAt: row["expires_at"], appPasswordName: row["app_password_name"],
                    nextID: row["next_id"])
            }
        }
    }

    /// Rotates the refresh token `id` as the reference does, in one transaction: drops the account's expired
    /// tokens, shortens the old token's life to `graceExpiresAt` (never lengthening it), picks the next id (the
    /// old token's `next_id` if it was rotated before, else `newID`), and stores the next token with
    /// `nextExpiresAt`.
    ///
    /// - Returns: nil when the token is unknown, revoked, past its (grace) expiry, or belongs to a revoked app
    ///   password.
    public func rotateRefreshToken(
        id: String, now: String, graceExpiresAt: String, newID: String, nextExpiresAt: String
    ) async throws(StorageError) -> RefreshRotation? {
        try await database.write(kind: "refresh_token_rotate") { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT t.did, t.expires_at, t.app_password_name, t.next_id, p.privileged, p.name AS password_name
                        FROM refresh_token t
                        LEFT JOIN app_password p ON p.did = t.did AND p.name = t.app_password_name
                        WHERE t.id = ?
                        """,
                    arguments: [id])
            else { return nil }
            let did: String = row["did"]
            let appPasswordName: String? = row["app_password_name"]
            try db.execute(sql: "DELETE FROM refresh_token WHERE did = ? AND expires_at <= ?", arguments: [did, now])
            let previousExpiry: String = row["expires_at"]
            let expiresAt = min(graceExpiresAt, previousExpiry)
            guard expiresAt > now else { return nil }
            if appPasswordName != nil, (row["password_name"] as String?) == nil { return nil }
            let nextID: String = row["next_id"] ?? newID
            try db.execute(
                sql: "UPDATE refresh_token SET expires_at = ?, next_id = ? WHERE id = ?", arguments: [expiresAt, nextID, id])
            try db.execute(
                sql: """
                    INSERT INTO refresh_token (id, did, expires_at, app_password_name) VALUES (?, ?, ?, ?)
                    ON CONFLICT (id) DO NOTHING
                    """,
                arguments: [nextID, did, nextExpiresAt, appPasswordName])
            return RefreshRotation(
                did: did, nextID: nextID, appPasswordName: appPasswordName,
                appPasswordPrivileged: (row["privileged"] as Int64? ?? 0) != 0)
        }
    }

    /// Deletes one refresh token. Returns whether it existed.
    @discardableResult
    public func revokeRefreshToken(id: String) async throws(StorageError) -> Bool {
        try await database.write(kind: "refresh_token_revoke") { db in
            try db.execute(sql: "DELETE FROM refresh_token WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    /// Deletes every refresh token of an account (password change, takedown). Returns how many there were.
    @discardableResult
    public func revokeRefreshTokens(did: String) async throws(StorageError) -> Int {
        try await database.write(kind: "refresh_token_revoke") { db in
            try db.execute(sql: "DELETE FROM refresh_token WHERE did = ?", arguments: [did])
            return db.changesCount
        }
    }
}
