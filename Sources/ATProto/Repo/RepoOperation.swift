/// One record operation of a commit, as the firehose carries it: `{action, path, cid, prev}`.
public struct RepoOperation: Sendable, Hashable, CustomStringConvertible {
    public enum Action: String, Sendable, Hashable {
        case create, update, delete
    }

    public let action: Action
    /// `<collection>/<rkey>`.
    public let path: String
    /// The new record CID; nil for a delete.
    public let cid: CID?
    /// The previous record CID (sync v1.1); nil for a create.
    public let prev: CID?

    public init(action: Action, path: String, cid: CID?, prev: CID?) {
        self.action = action
        self.path = path
        self.cid = cid
        self.prev = prev
    }

    /// The firehose `repoOp` object: `prev` is omitted when nil, `cid` is an explicit null for deletes.
    public var dataValue: DataValue {
        var map: [String: DataValue] = [
            "action": .string(action.rawValue),
            "path": .string(path),
            "cid": cid.map { .link($0) } ?? .null,
        ]
        if let prev { map["prev"] = .link(prev) }
        return .map(map)
    }

    /// Reads a firehose `repoOp` object.
    public init(dataValue value: DataValue) throws(CommitError) {
        guard case .map(let map) = value else { throw CommitError(.invalidOperation, "operation is a \(value.typeName), not an object") }
        guard let actionName = map["action"]?.stringValue, let action = Action(rawValue: actionName) else {
            throw CommitError(.invalidOperation, "operation action must be create, update or delete")
        }
        guard let path = map["path"]?.stringValue else { throw CommitError(.invalidOperation, "operation path must be a string") }
        func link(_ name: String) throws(CommitError) -> CID? {
            switch map[name] {
            case nil, .null?: return nil
            case .link(let cid)?: return cid
            case let other?: throw CommitError(.invalidOperation, "operation \(name) is a \(other.typeName), not a link")
            }
        }
        self.init(action: action, path: path, cid: try link("cid"), prev: try link("prev"))
    }

    public var description: String {
        "\(action.rawValue) \(path) cid=\(cid?.string ?? "null") prev=\(prev?.string ?? "null")"
    }
}
