import GRDB

/// An app password as listed to its owner (never with its hash).
public struct AppPasswordRecord: Sendable, Hashable {
    public let name: String
    public let createdAt: String
    public let privileged: Bool
}

extension AccountStore {
    /// Stores a new app password. Fails with `conflict` when the account already has one with this name, and
    /// `repoNotFound` when the account does not exist.
    public func createAppPassword(
        did: String, name: String, passwordScrypt: String, privileged: Bool, createdAt: String
    ) async throws(StorageError) -> AppPasswordRecord {
        try await database.write(kind: "app_password_create") { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE did = ?", arguments: [did]) != nil else {
                throw StorageError(.repoNotFound, "no account \(did)")
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM app_password WHERE did = ? AND name = ?", arguments: [did, name]) != nil {
                throw StorageError(.conflict, "an app password named \"\(name)\" already exists")
            }
            try db.execute(
                sql: "INSERT INTO app_password (did, name, password_scrypt, created_at, privileged) VALUES (?, ?, ?, ?, ?)",
                arguments: [did, name, passwordScrypt, createdAt, privileged ? 1 : 0])
            return AppPasswordRecord(name: name, createdAt: createdAt, privileged: privileged)
        }
    }

    /// The account's app passwords, newest first.
    public func appPasswords(did: String) async throws(StorageError) -> [AppPasswordRecord] {
        try await database.read(kind: "app_password_list") { db in
            try Row.fetchAll(
                db,
                sql: "SELECT name, created_at, privileged FROM app_password WHERE did = ? ORDER BY created_at DESC, name",
                arguments: [did]
            ).map { row in
                AppPasswordRecord(name: row["name"], createdAt: row["created_at"], privileged: (row["privileged"] as Int64) != 0)
            }
        }
    }

    /// The app password of `did` whose stored hash is `passwordScrypt` (app password hashes use a salt derived
    /// from the DID, so a password is found by its hash).
    public func appPassword(did: String, passwordScrypt: String) async throws(StorageError) -> AppPasswordRecord? {
        try await database.read(kind: "app_password_get") { db in
            try Row.fetchOne(
                db, sql: "SELECT name, created_at, privileged FROM app_password WHERE did = ? AND password_scrypt = ?",
                arguments: [did, passwordScrypt]
            ).map { row in
                AppPasswordRecord(name: row["name"], createdAt: row["created_at"], privileged: (row["privileged"] as Int64) != 0)
            }
        }
    }

    /// Deletes an app password and every refresh token of its sessions, in one transaction. Returns whether the
    /// app password existed.
    @discardableResult
    public func revokeAppPassword(did: String, name: String) async throws(StorageError) -> Bool {
        try await database.write(kind: "app_password_revoke") { db in
            try db.execute(sql: "DELETE FROM app_password WHERE did = ? AND name = ?", arguments: [did, name])
            let existed = db.changesCount > 0
            try db.execute(
                sql: "DELETE FROM refresh_token WHERE did = ? AND app_password_name = ?", arguments: [did, name])
            return existed
        }
    }
}
