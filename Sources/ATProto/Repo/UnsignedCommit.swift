/// A repository commit before signing: `{did, version, data, rev, prev}`.
public struct UnsignedCommit: Sendable, Hashable {
    public var did: String
    /// 3 for commits written today (2 is still readable).
    public var version: Int
    /// Root CID of the MST.
    public var data: CID
    /// TID string, strictly greater than the previous commit's.
    public var rev: String
    /// Always null in v3 (kept as an explicit null field for compatibility).
    public var prev: CID?

    public init(did: String, data: CID, rev: String, prev: CID? = nil, version: Int = 3) {
        self.did = did
        self.version = version
        self.data = data
        self.rev = rev
        self.prev = prev
    }

    /// The data-model map that is signed (every field but `sig`).
    public var dataValue: DataValue {
        var map: [String: DataValue] = [
            "did": .string(did),
            "version": .int(Int64(version)),
            "data": .link(data),
            "prev": prev.map { .link($0) } ?? .null,
        ]
        // Only a legacy v2 commit may lack `rev`.
        if version >= 3 || !rev.isEmpty { map["rev"] = .string(rev) }
        return .map(map)
    }

    /// The DAG-CBOR bytes that are signed.
    public func encoded() -> [UInt8] { DAGCBOR.encode(dataValue) }

    /// Signs with the account's repo key.
    public func signed(with key: any SigningKey) throws(CryptoError) -> Commit {
        Commit(unsigned: self, sig: try key.sign(encoded()))
    }
}
