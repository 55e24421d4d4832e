/// Applies a batch of record writes to a repository tree and gathers what the commit needs.
///
/// Reads go through the given ``BlockReader`` (inside the caller's database transaction); only the paths
/// of the written keys and their neighbours are read.
public enum RepoBuilder {
    /// Applies `writes` in order to the tree at `root` (nil: an empty, new repository). A path may appear
    /// only once per batch.
    public static func apply(_ writes: [RepoWrite], root: CID?, reader: any BlockReader) throws(CommitError) -> RepoBuildResult {
        let old = root.map { MST(root: $0, reader: reader) }
        var tree = old ?? MST(reader: reader)
        var ops: [RepoOperation] = []
        ops.reserveCapacity(writes.count)
        var seen = Set<String>()
        for write in writes {
            let path = write.path
            guard seen.insert(path).inserted else {
                throw CommitError(.invalidWrite, "path \(path) is written more than once in one commit")
            }
            let prev = try translating { () throws(MSTError) in try tree.get(path) }
            switch write {
            case .create(_, let cid):
                if prev != nil { throw CommitError(.invalidWrite, "record \(path) already exists") }
                tree = try translating { () throws(MSTError) in try tree.inserting(path, cid) }
                ops.append(RepoOperation(action: .create, path: path, cid: cid, prev: nil))
            case .update(_, let cid):
                guard let prev else { throw CommitError(.invalidWrite, "record \(path) does not exist") }
                if prev != cid { tree = try translating { () throws(MSTError) in try tree.updating(path, cid) } }
                ops.append(RepoOperation(action: .update, path: path, cid: cid, prev: prev))
            case .delete:
                guard let prev else { throw CommitError(.invalidWrite, "record \(path) does not exist") }
                tree = try translating { () throws(MSTError) in try tree.deleting(path) }
                ops.append(RepoOperation(action: .delete, path: path, cid: nil, prev: prev))
            }
        }
        let final = tree
        let diff = try translating { () throws(MSTError) in try MST.diff(from: old, to: final) }
        let proof = try translating { () throws(MSTError) in try final.coveringProof(for: writes.map(\.path)) }
        // The next write to this repository starts from these nodes.
        reader.nodeCache?.insertBuiltNodes(of: final)
        return RepoBuildResult(
            root: final.rootCID, previousRoot: old?.rootCID, ops: ops, newNodeBlocks: diff.newNodes,
            removedNodeCIDs: diff.removedNodes, removedRecordCIDs: diff.removedLeaves, proofBlocks: proof)
    }

    private static func translating<T>(_ body: () throws(MSTError) -> T) throws(CommitError) -> T {
        do {
            return try body()
        } catch {
            if error.code == .invalidKey { throw CommitError(.invalidWrite, error.message) }
            throw CommitProof.translate(error)
        }
    }
}
