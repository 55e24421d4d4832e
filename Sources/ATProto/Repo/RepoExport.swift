/// Whole-repository exports and imports as CAR v1.
public enum RepoExport {
    /// Writes the repository at commit `commit` to `writer` (whose header root should be `commit`) in the
    /// streamable order: the commit, then the MST depth-first with each node before its subtrees and each
    /// record block right after its key's position. Every block comes from `reader`; memory stays bounded
    /// by the tree height.
    public static func write(commit: CID, reader: any BlockReader, to writer: inout CARWriter) throws {
        let commitBytes = try read(commit, reader)
        let decoded = try Commit(block: commitBytes)
        try writer.write(commit, commitBytes)
        let tree = MST(root: decoded.data, reader: reader)
        try tree.forEachBlockInStreamOrder { node, bytes in
            try writer.write(node, bytes)
        } record: { cid in
            try writer.write(cid, try read(cid, reader))
        }
    }

    private static func read(_ cid: CID, _ reader: any BlockReader) throws -> [UInt8] {
        guard let bytes = try reader.readBlock(cid) else { throw CommitError(.missingBlock, "block \(cid) is not stored") }
        return bytes
    }

    /// Checks a complete repository given as blocks (e.g. an imported CAR): the commit at `commit` decodes
    /// (and, with `key`, its signature verifies; with `did`, it names that DID), the whole tree validates,
    /// and every record block is present and hashes to its CID. Returns the commit and the records in key
    /// order.
    public static func verify(
        commit: CID, blocks: [CID: [UInt8]], did: String? = nil, key: PublicKey? = nil
    ) throws(CommitError) -> (commit: Commit, records: [MSTLeaf]) {
        guard let bytes = blocks[commit] else { throw CommitError(.missingBlock, "commit block \(commit) is missing") }
        guard CID.dagCBOR(hashing: bytes) == commit else { throw CommitError(.invalidCommit, "commit block does not hash to \(commit)") }
        let decoded = try Commit(block: bytes)
        if let did, decoded.did != did { throw CommitError(.invalidCommit, "commit is for \(decoded.did), expected \(did)") }
        if let key, !decoded.verifySignature(with: key) {
            throw CommitError(.invalidCommit, "commit signature does not verify with \(key.didKey)")
        }
        let tree = MST(root: decoded.data, reader: MemoryBlockStore(blocks))
        let records: [MSTLeaf]
        do {
            try tree.validate()
            records = try tree.allLeaves()
        } catch {
            throw CommitProof.translate(error)
        }
        for record in records {
            guard let recordBytes = blocks[record.value] else {
                throw CommitError(.missingBlock, "record block \(record.value) of \(record.key) is missing")
            }
            guard CID.sha256(codec: record.value.codec, hashing: recordBytes) == record.value else {
                throw CommitError(.invalidTree, "record block of \(record.key) does not hash to \(record.value)")
            }
        }
        return (decoded, records)
    }
}

extension RepoExport {
    /// Writes the `com.atproto.sync.getRecord` CAR body after the header: the commit, the MST path to each
    /// of `paths` and the record block of each present key. Absent keys still get their path (an exclusion
    /// proof).
    public static func writeRecordProofs(commit: CID, paths: [String], reader: any BlockReader, to writer: inout CARWriter) throws {
        let commitBytes = try read(commit, reader)
        let decoded = try Commit(block: commitBytes)
        try writer.write(commit, commitBytes)
        let tree = MST(root: decoded.data, reader: reader)
        var written = Set<CID>()
        for path in paths {
            let (nodes, value) = try tree.path(to: path)
            for node in nodes where written.insert(node.cid).inserted { try writer.write(node) }
            if let value, written.insert(value).inserted { try writer.write(value, try read(value, reader)) }
        }
    }

    /// Checks a record proof (e.g. a `sync.getRecord` response): the commit at `commit` is among `blocks`
    /// (and, with `key`, its signature verifies), and the tree path in `blocks` shows `path` mapping to a
    /// present, matching record block (returned with its CID) or being absent (nil).
    public static func verifyRecordProof(
        commit: CID, path: String, blocks: [CID: [UInt8]], key: PublicKey? = nil
    ) throws(CommitError) -> (cid: CID, bytes: [UInt8])? {
        guard let bytes = blocks[commit], CID.dagCBOR(hashing: bytes) == commit else {
            throw CommitError(.missingBlock, "commit block \(commit) is missing or does not match")
        }
        let decoded = try Commit(block: bytes)
        if let key, !decoded.verifySignature(with: key) {
            throw CommitError(.invalidCommit, "commit signature does not verify with \(key.didKey)")
        }
        let value: CID?
        do {
            value = try MST(root: decoded.data, reader: MemoryBlockStore(blocks)).get(path)
        } catch {
            throw CommitProof.translate(error)
        }
        guard let value else { return nil }
        guard let record = blocks[value], CID.sha256(codec: value.codec, hashing: record) == value else {
            throw CommitError(.missingBlock, "record block \(value) of \(path) is missing or does not match")
        }
        return (value, record)
    }
}
