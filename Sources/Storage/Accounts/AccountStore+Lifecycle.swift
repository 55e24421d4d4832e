import ATProto
import Foundation
import GRDB

/// The account's own lifecycle methods (`com.atproto.server.deactivateAccount`, `activateAccount`,
/// `com.atproto.identity.submitPlcOperation`): each change and its firehose events in one transaction.
extension AccountStore {
    /// Deactivates the account (keeping the first deactivation time), records `deleteAfter` (the caller's
    /// suggestion; nothing acts on it, as in the reference) and appends `#account {active: false, status}`.
    /// Nil when there is no such account.
    public func deactivate(did: String, deleteAfter: String?) async throws(StorageError) -> StatusChange? {
        try await database.write(kind: "account_deactivate") { db -> StatusChange? in
            try db.execute(
                sql: "UPDATE account SET deactivated_at = COALESCE(deactivated_at, ?), delete_after = ? WHERE did = ?",
                arguments: [Datetime.format(microseconds: EventLog.nowMicros()), deleteAfter, did])
            guard db.changesCount > 0 else { return nil }
            return try Self.announceStatus(db: db, did: did, database: self.database)
        }
    }

    /// Activates the account: clears its deactivation, writes a fresh commit over the current tree signed with the
    /// account's key (after an import the head is the old server's commit), and appends `#account {active: true}`,
    /// `#identity` with the handle and `#sync` with the fresh commit, as the reference's activation does. A
    /// taken-down account stays down: only `#account` with that status is appended. Nil when there is no such
    /// account.
    public func activate(did: String) async throws(StorageError) -> StatusChange? {
        try await database.write(kind: "account_activate") { db -> StatusChange? in
            try Self.reactivate(db: db, did: did, database: self.database) { db in
                try self.repos.resignHead(db: db, did: did).map { .sync(did: did, blocks: $0.car, rev: $0.rev) }
            }
        }
    }

    /// Appends `#identity` without a handle (the DID document changed: submitPlcOperation). Nil when there is no
    /// such account.
    public func announceIdentity(did: String) async throws(StorageError) -> Int64? {
        try await database.write(kind: "account_identity") { db -> Int64? in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE did = ?", arguments: [did]) != nil else {
                return nil
            }
            return try EventLog.append(
                [.identity(did: did, handle: nil)], db: db, nowMicros: EventLog.nowMicros(), database: self.database)[0]
        }
    }
}
