/// Sync v1.1 commit checks: what a relay does with a `#commit` event from us.
public enum CommitProof {
    /// Loads the tree at `newRoot` from ONLY `blocks`, inverts every operation (deletes created keys,
    /// restores updated and deleted keys to `prev`) and checks that the result's root is `prevData` (the
    /// empty tree when nil). Each operation must also agree with the new tree: a created or updated key
    /// holds `cid`, a deleted key is absent. With `requireRecordBlocks`, the record block of every create
    /// and update must be among `blocks` too.
    public static func verifyInversion(
        newRoot: CID, prevData: CID?, ops: [RepoOperation], blocks: [CID: [UInt8]], requireRecordBlocks: Bool = false
    ) throws(CommitError) {
        var tree = MST(root: newRoot, reader: MemoryBlockStore(blocks))
        var seen = Set<String>()
        for op in ops {
            guard seen.insert(op.path).inserted else {
                throw CommitError(.invalidOperation, "path \(op.path) appears in more than one operation")
            }
        }
        for op in ops.reversed() {
            let current = try mst { () throws(MSTError) in try tree.get(op.path) }
            switch op.action {
            case .create:
                guard let cid = op.cid, op.prev == nil else {
                    throw CommitError(.invalidOperation, "create of \(op.path) needs a cid and no prev")
                }
                guard current == cid else { throw mismatch(op, current) }
                try requireRecord(cid, op, blocks, requireRecordBlocks)
                tree = try mst { () throws(MSTError) in try tree.deleting(op.path) }
            case .update:
                guard let cid = op.cid, let prev = op.prev else {
                    throw CommitError(.invalidOperation, "update of \(op.path) needs cid and prev")
                }
                guard current == cid else { throw mismatch(op, current) }
                try requireRecord(cid, op, blocks, requireRecordBlocks)
                tree = try mst { () throws(MSTError) in try tree.updating(op.path, prev) }
            case .delete:
                guard op.cid == nil, let prev = op.prev else {
                    throw CommitError(.invalidOperation, "delete of \(op.path) needs prev and no cid")
                }
                guard current == nil else { throw mismatch(op, current) }
                tree = try mst { () throws(MSTError) in try tree.inserting(op.path, prev) }
            }
        }
        let expected = prevData ?? MST.emptyRootCID
        let root = tree.rootCID
        guard root == expected else {
            throw CommitError(.rootMismatch, "inverted tree root is \(root), prevData is \(expected)")
        }
    }

    /// The same check starting from the commit block (taken from `blocks`): decodes it and uses its `data`
    /// as the new root. Returns the decoded commit (its signature is not checked here).
    @discardableResult
    public static func verifyInversion(
        commit: CID, prevData: CID?, ops: [RepoOperation], blocks: [CID: [UInt8]], requireRecordBlocks: Bool = false
    ) throws(CommitError) -> Commit {
        guard let bytes = blocks[commit] else { throw CommitError(.missingBlock, "commit block \(commit) is not among the blocks") }
        guard CID.dagCBOR(hashing: bytes) == commit else {
            throw CommitError(.invalidCommit, "commit block does not hash to \(commit)")
        }
        let decoded = try Commit(block: bytes)
        try verifyInversion(newRoot: decoded.data, prevData: prevData, ops: ops, blocks: blocks, requireRecordBlocks: requireRecordBlocks)
        return decoded
    }

    private static func mismatch(_ op: RepoOperation, _ current: CID?) -> CommitError {
        CommitError(.operationMismatch, "\(op.action.rawValue) of \(op.path): tree holds \(current?.string ?? "nothing"), op says \(op.cid?.string ?? "nothing")")
    }

    private static func requireRecord(_ cid: CID, _ op: RepoOperation, _ blocks: [CID: [UInt8]], _ required: Bool) throws(CommitError) {
        if required && blocks[cid] == nil {
            throw CommitError(.missingBlock, "record block \(cid) of \(op.path) is not among the blocks")
        }
    }

    private static func mst<T>(_ body: () throws(MSTError) -> T) throws(CommitError) -> T {
        do {
            return try body()
        } catch {
            throw translate(error)
        }
    }

    static func translate(_ error: MSTError) -> CommitError {
        switch error.code {
        case .missingBlock: CommitError(.missingBlock, "proof is incomplete: \(error)")
        case .keyExists, .keyNotFound, .invalidKey: CommitError(.operationMismatch, "\(error)")
        case .readFailed, .malformedNode, .invalidStructure: CommitError(.invalidTree, "\(error)")
        }
    }
}
