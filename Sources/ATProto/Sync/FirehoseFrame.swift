/// Event-stream frames of `com.atproto.sync.subscribeRepos`: a DAG-CBOR header followed by a DAG-CBOR body, in
/// one binary WebSocket message.
public enum FirehoseFrame {
    /// A message frame: header `{op: 1, t: "#<type>"}` then `body`.
    public static func message(type: String, body: DataValue) -> [UInt8] {
        var out = DAGCBOR.encode(.map(["op": 1, "t": .string(type)]))
        DAGCBOR.encode(body, into: &out)
        return out
    }

    /// An error frame: header `{op: -1}` then `{error, message?}`; the server closes the stream after it.
    public static func error(_ error: String, message: String? = nil) -> [UInt8] {
        var body: [String: DataValue] = ["error": .string(error)]
        if let message { body["message"] = .string(message) }
        var out = DAGCBOR.encode(.map(["op": -1]))
        DAGCBOR.encode(.map(body), into: &out)
        return out
    }

    /// Splits a frame into its header and body values.
    public static func decode(_ frame: [UInt8], limits: DAGCBOR.Limits = .default) throws(DAGCBORError) -> (header: DataValue, body: DataValue) {
        let (header, used) = try DAGCBOR.decodePrefix(frame, limits: limits)
        let body = try DAGCBOR.decode(Array(frame[used...]), limits: limits)
        return (header, body)
    }
}

/// The body of a firehose event, before it has a sequence number. ``frame(seq:timeMicros:)`` makes the exact
/// bytes stored in the event log and sent to every subscriber.
public enum FirehoseEvent: Sendable, Hashable {
    /// `#commit` (sync v1.1): `blocks` is a CAR holding the commit, the new record blocks and the covering-proof
    /// MST nodes; `prevData` is the MST root before the commit.
    case commit(repo: String, commit: CID, rev: String, since: String?, blocks: [UInt8], ops: [RepoOperation], prevData: CID?)
    /// `#sync`: the repository's current commit (a CAR with the signed commit block only).
    case sync(did: String, blocks: [UInt8], rev: String)
    /// `#identity`: the DID document or handle changed.
    case identity(did: String, handle: String?)
    /// `#account`: hosting status changed.
    case account(did: String, active: Bool, status: String?)

    /// The event-stream type: `#commit`, `#sync`, `#identity` or `#account`.
    public var type: String {
        switch self {
        case .commit: "#commit"
        case .sync: "#sync"
        case .identity: "#identity"
        case .account: "#account"
        }
    }

    /// The storage kind: the type without `#`.
    public var kind: String { String(type.dropFirst()) }

    /// The DID the event is about.
    public var did: String {
        switch self {
        case .commit(let repo, _, _, _, _, _, _): repo
        case .sync(let did, _, _), .identity(let did, _), .account(let did, _, _): did
        }
    }

    public func body(seq: Int64, time: String) -> DataValue {
        switch self {
        case .commit(let repo, let commit, let rev, let since, let blocks, let ops, let prevData):
            var map: [String: DataValue] = [
                "seq": .int(seq), "rebase": false, "tooBig": false, "repo": .string(repo), "commit": .link(commit),
                "rev": .string(rev), "since": since.map { .string($0) } ?? .null, "blocks": .bytes(blocks),
                "ops": .array(ops.map(\.dataValue)), "blobs": [], "time": .string(time),
            ]
            if let prevData { map["prevData"] = .link(prevData) }
            return .map(map)
        case .sync(let did, let blocks, let rev):
            return ["seq": .int(seq), "did": .string(did), "blocks": .bytes(blocks), "rev": .string(rev), "time": .string(time)]
        case .identity(let did, let handle):
            var map: [String: DataValue] = ["seq": .int(seq), "did": .string(did), "time": .string(time)]
            if let handle { map["handle"] = .string(handle) }
            return .map(map)
        case .account(let did, let active, let status):
            var map: [String: DataValue] = ["seq": .int(seq), "did": .string(did), "time": .string(time), "active": .bool(active)]
            if let status { map["status"] = .string(status) }
            return .map(map)
        }
    }

    /// The complete frame for this event with sequence number `seq` at `timeMicros` (Unix microseconds).
    public func frame(seq: Int64, timeMicros: Int64) -> [UInt8] {
        FirehoseFrame.message(type: type, body: body(seq: seq, time: Datetime.format(microseconds: timeMicros)))
    }
}
