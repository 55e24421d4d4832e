import ATProto
import Foundation

/// Where blob bytes live. An upload is streamed into a ``BlobTempFile`` (hashed and counted by the caller),
/// then ``store(_:did:cid:mimeType:size:now:)`` moves it to its permanent place and records the `blob` row
/// (with `temp_key` set until a record references it). Nothing here blocks the caller's thread on the disk.
public protocol BlobStore: Sendable {
    /// A new temporary file for one upload.
    func makeTempFile() async throws(StorageError) -> BlobTempFile
    /// Makes an uploaded temp file the blob `cid` of `did` (synced to disk) and records its row. A second upload
    /// of a CID still waiting for a record restarts its grace period; one already referenced keeps its row.
    func store(_ temp: BlobTempFile, did: String, cid: CID, mimeType: String, size: Int64, now: Date) async throws(StorageError)
    /// The bytes of a stored blob, nil when there is no file.
    func contents(did: String, cid: CID) async throws(StorageError) -> [UInt8]?
    /// The path of the local file holding a stored blob, for streaming it from disk; nil when there is no file.
    func filePath(did: String, cid: CID) async throws(StorageError) -> String?
    /// Deletes the files of blobs whose rows are gone (released by a commit); a CID uploaded again in the
    /// meantime (its row is back) keeps its file. Missing files are ignored.
    func deleteFiles(did: String, cids: [CID]) async
    /// Deletes uploads no record referenced within the grace period (rows and files); returns how many.
    func collectGarbage(uploadedBefore cutoff: Date) async throws(StorageError) -> Int
    /// Sets (`ref`) or clears (nil) a blob's takedown and, in the same write transaction, moves its file out of
    /// the served place or back. False when the account has no such blob.
    func setTakedown(did: String, cid: CID, ref: String?) async throws(StorageError) -> Bool
    /// Moves a taken-down blob's file out of the served place (`quarantine`) or back (`unquarantine`). A blob
    /// whose file is already where it should be, or missing, is left as it is.
    func quarantine(did: String, cid: CID) throws(StorageError)
    func unquarantine(did: String, cid: CID) throws(StorageError)
    /// Deletes every blob file of an account (deleted account), served or quarantined.
    func deleteAll(did: String) async
    /// Bytes of all blob files on disk.
    var storedBytes: Int64 { get }
}
