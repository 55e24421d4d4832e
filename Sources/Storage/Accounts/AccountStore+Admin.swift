import ATProto
import Foundation
import GRDB

/// What the admin API changes on accounts (`com.atproto.admin.*`). Every change that the network must hear
/// about appends its firehose event in the same transaction, as account creation does.
extension AccountStore {
    /// An account removed by ``deleteAccount(did:)``.
    public struct DeletedAccount: Sendable, Hashable {
        /// The sequence number of its `#account` event (`active: false, status: deleted`).
        public let seq: Int64
        /// The blobs the account had (their files are for the caller to remove).
        public let blobCIDs: [CID]
    }

    /// An account after a status change, with the sequence numbers of the events announcing it.
    public struct StatusChange: Sendable, Hashable {
        public let account: AccountRecord
        public let seqs: [Int64]
    }

    // MARK: Deletion

    /// Deletes the account and everything it owns in the database (repository blocks, records, backlinks, blob
    /// rows, sessions, app passwords, preferences), appends `#account {active: false, status: deleted}` and
    /// drops the account's older firehose events, as the reference's `sequenceAccountDeletion` does: a relay
    /// replaying the log learns only that the account is gone. Invite codes and their uses are kept.
    ///
    /// - Returns: nil when there is no such account.
    public func deleteAccount(did: String) async throws(StorageError) -> DeletedAccount? {
        // The account's events up to now, found on a reader (a scan of the event log's narrow time-and-DID index, not
        // of the frames); the write below deletes them by seq, plus any the account got after this read.
        let (eventSeqs, scannedThrough) = try await database.read(kind: "account_delete_events") { db -> ([Int64], Int64) in
            let last = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM firehose_event") ?? 0
            let seqs = try Int64.fetchAll(
                db, sql: "SELECT seq FROM firehose_event INDEXED BY firehose_event_time WHERE did = ? AND seq <= ?",
                arguments: [did, last])
            return (seqs, last)
        }
        let result = try await database.write(kind: "account_delete") { db -> DeletedAccount? in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE did = ?", arguments: [did]) != nil else {
                return nil
            }
            let blobs = try Data.fetchAll(db, sql: "SELECT cid FROM blob WHERE did = ?", arguments: [did])
                .compactMap { try? CID(bytes: $0) }
            for table in ["record", "repo_block", "backlink", "record_blob", "blob", "repo_root", "refresh_token", "app_password", "account_pref", "email_token"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE did = ?", arguments: [did])
            }
            try db.execute(sql: "DELETE FROM account WHERE did = ?", arguments: [did])
            let seq = try EventLog.append(
                [.account(did: did, active: false, status: "deleted")], db: db, nowMicros: EventLog.nowMicros(),
                database: self.database)[0]
            let deleteEvent = try db.cachedStatement(sql: "DELETE FROM firehose_event WHERE seq = ?")
            for old in eventSeqs { try deleteEvent.execute(arguments: [old]) }
            try db.execute(
                sql: "DELETE FROM firehose_event WHERE seq > ? AND did = ? AND seq != ?", arguments: [scannedThrough, did, seq])
            return DeletedAccount(seq: seq, blobCIDs: blobs)
        }
        if result != nil { repos.forgetKey(did: did) }
        return result
    }

    // MARK: Hosting status

    /// Takes the account down (`ref` set: its sessions are revoked too) or lifts the takedown (`ref` nil), and
    /// appends `#account` with the resulting status. Nil when there is no such account.
    public func setTakedown(did: String, ref: String?) async throws(StorageError) -> StatusChange? {
        try await database.write(kind: "account_takedown") { db -> StatusChange? in
            try db.execute(sql: "UPDATE account SET takedown_ref = ? WHERE did = ?", arguments: [ref, did])
            guard db.changesCount > 0 else { return nil }
            if ref != nil {
                try db.execute(sql: "DELETE FROM refresh_token WHERE did = ?", arguments: [did])
            }
            return try Self.announceStatus(db: db, did: did, database: self.database)
        }
    }

    /// Deactivates the account (appending `#account` with its status) or reactivates it (appending
    /// `#account {active: true}`, `#identity` with its handle and `#sync` with its current commit, as the
    /// reference's activation does). Reactivating a taken-down account changes only `deactivated_at` and
    /// announces the taken-down status. Nil when there is no such account.
    public func setDeactivated(did: String, _ deactivated: Bool) async throws(StorageError) -> StatusChange? {
        try await database.write(kind: "account_deactivate") { db -> StatusChange? in
            let now = EventLog.nowMicros()
            if deactivated {
                try db.execute(
                    sql: "UPDATE account SET deactivated_at = COALESCE(deactivated_at, ?) WHERE did = ?",
                    arguments: [Datetime.format(microseconds: now), did])
                guard db.changesCount > 0 else { return nil }
                return try Self.announceStatus(db: db, did: did, database: self.database)
            }
            return try Self.reactivate(db: db, did: did, database: self.database) { db in
                guard let head = try RepoStore.head(db: db, did: did),
                    let block = try Data.fetchOne(
                        db, sql: "SELECT content FROM repo_block WHERE did = ? AND cid = ?",
                        arguments: [did, Data(head.commitCID.bytes)])
                else { return nil }
                let car = CARWriter.encode(roots: [head.commitCID], blocks: [CARBlock(cid: head.commitCID, bytes: [UInt8](block))])
                return .sync(did: did, blocks: car, rev: head.rev)
            }
        }
    }

    /// Clears the deactivation of `did` and appends `#account {active: true}`, `#identity` with its handle and the
    /// `#sync` that `sync` gives (if any); a taken-down account only gets `#account` with that status. Nil when there
    /// is no such account. Shared by the admin's reactivation and the account's own `activateAccount`.
    static func reactivate(
        db: GRDB.Database, did: String, database: Database, sync: (GRDB.Database) throws -> FirehoseEvent?
    ) throws -> StatusChange? {
        try db.execute(
            sql: "UPDATE account SET deactivated_at = NULL, delete_after = NULL WHERE did = ?", arguments: [did])
        guard db.changesCount > 0 else { return nil }
        let account = try fetchAccount(db: db, did: did)
        guard account.isActive else { return try announceStatus(db: db, did: did, database: database) }
        var events: [FirehoseEvent] = [
            .account(did: did, active: true, status: nil), .identity(did: did, handle: account.handle),
        ]
        if let event = try sync(db) { events.append(event) }
        let seqs = try EventLog.append(events, db: db, nowMicros: EventLog.nowMicros(), database: database)
        return StatusChange(account: account, seqs: seqs)
    }

    /// Appends `#account` with the account's current status (the admin API's "sequence the status again").
    /// Nil when there is no such account.
    public func announceStatus(did: String) async throws(StorageError) -> StatusChange? {
        try await database.write(kind: "account_status") { db -> StatusChange? in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE did = ?", arguments: [did]) != nil else {
                return nil
            }
            return try Self.announceStatus(db: db, did: did, database: self.database)
        }
    }

    static func announceStatus(db: GRDB.Database, did: String, database: Database) throws -> StatusChange {
        let account = try fetchAccount(db: db, did: did)
        let seqs = try EventLog.append(
            [.account(did: did, active: account.isActive, status: account.status)], db: db, nowMicros: EventLog.nowMicros(),
            database: database)
        return StatusChange(account: account, seqs: seqs)
    }

    static func fetchAccount(db: GRDB.Database, did: String) throws -> AccountRecord {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(AccountRecord.columns) FROM account WHERE did = ?", arguments: [did])
        else { throw StorageError(.repoNotFound, "no account for \(did)") }
        return AccountRecord(row: row)
    }

    // MARK: Credentials and identity

    /// Sets the account's email (lower-cased), clears its confirmation and drops every emailed code of the account
    /// (as the reference's `updateEmail`). False when there is no such account; `conflict` when another account has
    /// the address.
    public func updateEmail(did: String, email: String) async throws(StorageError) -> Bool {
        try await database.write(kind: "account_update_email") { db in
            let email = email.lowercased()
            if try Bool.fetchOne(
                db, sql: "SELECT 1 FROM account WHERE email = ? AND did != ?", arguments: [email, did]) != nil
            {
                throw StorageError(.conflict, "Email already taken: \(email)")
            }
            try db.execute(
                sql: "UPDATE account SET email = ?, email_confirmed_at = NULL WHERE did = ?", arguments: [email, did])
            guard db.changesCount > 0 else { return false }
            try db.execute(sql: "DELETE FROM email_token WHERE did = ?", arguments: [did])
            return true
        }
    }

    /// Sets the account's handle (lower-cased) and appends `#identity` with it, even when it did not change (the
    /// reference's way to announce a handle again). Nil when there is no such account; `conflict` when another
    /// account has the handle.
    public func updateHandle(did: String, handle: String) async throws(StorageError) -> Int64? {
        try await database.write(kind: "account_update_handle") { db -> Int64? in
            let handle = handle.lowercased()
            if try Bool.fetchOne(
                db, sql: "SELECT 1 FROM account WHERE handle = ? AND did != ?", arguments: [handle, did]) != nil
            {
                throw StorageError(.conflict, "Handle already taken: \(handle)")
            }
            try db.execute(sql: "UPDATE account SET handle = ? WHERE did = ?", arguments: [handle, did])
            guard db.changesCount > 0 else { return nil }
            return try EventLog.append(
                [.identity(did: did, handle: handle)], db: db, nowMicros: EventLog.nowMicros(), database: self.database)[0]
        }
    }

    /// Replaces the account's password hash and revokes its refresh tokens (app passwords stay, as the
    /// reference), using up the account's `reset_password` code in the same transaction (a reset by email).
    /// Returns how many sessions were revoked, nil when there is no such account.
    public func updatePassword(did: String, passwordScrypt: String) async throws(StorageError) -> Int? {
        try await database.write(kind: "account_update_password") { db -> Int? in
            try db.execute(sql: "UPDATE account SET password_scrypt = ? WHERE did = ?", arguments: [passwordScrypt, did])
            guard db.changesCount > 0 else { return nil }
            try db.execute(
                sql: "DELETE FROM email_token WHERE purpose = ? AND did = ?",
                arguments: [EmailTokenPurpose.resetPassword.rawValue, did])
            try db.execute(sql: "DELETE FROM refresh_token WHERE did = ?", arguments: [did])
            return db.changesCount
        }
    }

    // MARK: Listing

    /// The accounts among `dids` that exist, in the order asked (duplicates once).
    public func accounts(dids: [String]) async throws(StorageError) -> [AccountRecord] {
        guard !dids.isEmpty else { return [] }
        return try await database.read(kind: "account_get_many") { db in
            var seen = Set<String>()
            var found: [AccountRecord] = []
            for did in dids where seen.insert(did).inserted {
                if let row = try Row.fetchOne(
                    db, sql: "SELECT \(AccountRecord.columns) FROM account WHERE did = ?", arguments: [did])
                {
                    found.append(AccountRecord(row: row))
                }
            }
            return found
        }
    }

    /// Accounts in DID order after `cursor` (a DID), at most `limit`.
    public func listAccounts(after cursor: String?, limit: Int) async throws(StorageError) -> [AccountRecord] {
        try await database.read(kind: "account_list") { db in
            try Row.fetchAll(
                db, sql: "SELECT \(AccountRecord.columns) FROM account WHERE did > ? ORDER BY did LIMIT ?",
                arguments: [cursor ?? "", limit]
            ).map(AccountRecord.init(row:))
        }
    }
}
