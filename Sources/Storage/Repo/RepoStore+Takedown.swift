import ATProto
import Foundation
import GRDB

/// Takedowns of single records and blobs (`com.atproto.admin.updateSubjectStatus`). A taken-down record stays
/// in the repository (its MST and commits are unchanged) but is not served by getRecord or listRecords; a
/// taken-down blob is not served and its file is quarantined by the blob store.
extension RepoStore {
    /// Sets (`ref`) or clears (nil) a record's takedown. Returns the record's current CID, nil when there is no
    /// such record.
    public func setRecordTakedown(did: String, collection: String, rkey: String, ref: String?) async throws(StorageError) -> CID? {
        try await database.write(kind: "record_takedown") { db -> CID? in
            try db.execute(
                sql: "UPDATE record SET takedown_ref = ? WHERE did = ? AND collection = ? AND rkey = ?",
                arguments: [ref, did, collection, rkey])
            guard db.changesCount > 0 else { return nil }
            return try Self.cid(
                Data.fetchOne(
                    db, sql: "SELECT cid FROM record WHERE did = ? AND collection = ? AND rkey = ?",
                    arguments: [did, collection, rkey]))
        }
    }

    /// Sets (`ref`) or clears (nil) a blob's takedown row only (without a blob store: the file is the store's
    /// business, see ``BlobStore/setTakedown(did:cid:ref:)``). False when the account has no such blob.
    public func setBlobTakedown(did: String, cid: CID, ref: String?) async throws(StorageError) -> Bool {
        try await database.write(kind: "blob_takedown") { db in try Self.setBlobTakedown(db: db, did: did, cid: cid, ref: ref) }
    }

    static func setBlobTakedown(db: GRDB.Database, did: String, cid: CID, ref: String?) throws -> Bool {
        try db.execute(sql: "UPDATE blob SET takedown_ref = ? WHERE did = ? AND cid = ?", arguments: [ref, did, Data(cid.bytes)])
        return db.changesCount > 0
    }
}
