import ATProto
import Foundation
import GRDB

/// Reads one repository's blocks inside a database transaction: MST nodes and commits from `repo_block`,
/// records from `record`. Runs on GRDB's database thread, which is why a synchronous reader is right.
struct SQLBlockReader: BlockReader {
    let db: GRDB.Database
    let did: String
    /// Decoded nodes shared across commits (``RepoStore/nodeCache``); nil where a walk would only churn it (exports).
    var nodeCache: MSTNodeCache? = nil

    func readBlock(_ cid: CID) throws -> [UInt8]? {
        let key = Data(cid.bytes)
        if let data = try Data.fetchOne(
            db.cachedStatement(sql: "SELECT content FROM repo_block WHERE did = ? AND cid = ?"), arguments: [did, key])
        {
            return [UInt8](data)
        }
        if let data = try Data.fetchOne(
            db.cachedStatement(sql: "SELECT content FROM record WHERE did = ? AND cid = ? LIMIT 1"), arguments: [did, key])
        {
            return [UInt8](data)
        }
        return nil
    }
}
