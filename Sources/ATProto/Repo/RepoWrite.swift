/// One record write to apply to a repository tree.
public enum RepoWrite: Sendable, Hashable {
    /// Adds `path` (`<collection>/<rkey>`) with record `cid`; fails if present.
    case create(path: String, cid: CID)
    /// Replaces the record at `path`; fails if absent.
    case update(path: String, cid: CID)
    /// Removes the record at `path`; fails if absent.
    case delete(path: String)

    public var path: String {
        switch self {
        case .create(let path, _), .update(let path, _), .delete(let path): path
        }
    }
}
