/// A signed repository commit: ``UnsignedCommit`` plus `sig`, the signature over the unsigned commit's
/// DAG-CBOR bytes. Its CID is the dag-cbor CID of the signed block.
public struct Commit: Sendable, Hashable {
    public let unsigned: UnsignedCommit
    public let sig: [UInt8]

    public init(unsigned: UnsignedCommit, sig: [UInt8]) {
        self.unsigned = unsigned
        self.sig = sig
    }

    public var did: String { unsigned.did }
    public var version: Int { unsigned.version }
    public var data: CID { unsigned.data }
    public var rev: String { unsigned.rev }
    public var prev: CID? { unsigned.prev }

    public var dataValue: DataValue {
        guard case .map(var map) = unsigned.dataValue else { return unsigned.dataValue }
        map["sig"] = .bytes(sig)
        return .map(map)
    }

    /// The commit block and its CID.
    public func block() -> (cid: CID, bytes: [UInt8]) {
        let bytes = DAGCBOR.encode(dataValue)
        return (CID.dagCBOR(hashing: bytes), bytes)
    }

    public var cid: CID { block().cid }

    /// True when `sig` is a valid signature by `key` over the unsigned commit.
    public func verifySignature(with key: PublicKey) -> Bool {
        key.verify(signature: sig, message: unsigned.encoded())
    }

    /// Decodes and checks a commit block: a map with exactly `did`, `version` (3, or 2), `data`, `rev`
    /// (required from v3), `prev` (link or null; required from v3) and `sig`.
    public init(block bytes: [UInt8]) throws(CommitError) {
        let value: DataValue
        do {
            value = try DAGCBOR.decode(bytes)
        } catch {
            throw CommitError(.invalidCommit, "commit is not DAG-CBOR: \(error)")
        }
        guard case .map(let map) = value else { throw CommitError(.invalidCommit, "commit is a \(value.typeName), not an object") }
        guard case .int(let version)? = map["version"], version == 3 || version == 2 else {
            throw CommitError(.invalidCommit, "commit version must be 3 (or 2), is \(map["version"].map { "\($0)" } ?? "missing")")
        }
        let allowed: Set<String> = ["did", "version", "data", "rev", "prev", "sig"]
        if let extra = map.keys.first(where: { !allowed.contains($0) }) {
            throw CommitError(.invalidCommit, "commit has unknown field \(extra.debugDescription)")
        }
        guard case .string(let did)? = map["did"], DID.isValid(did) else {
            throw CommitError(.invalidCommit, "commit did is missing or not a valid DID")
        }
        guard case .link(let data)? = map["data"] else { throw CommitError(.invalidCommit, "commit data must be a link") }
        guard case .bytes(let sig)? = map["sig"] else { throw CommitError(.invalidCommit, "commit sig must be bytes") }
        let rev: String
        switch map["rev"] {
        case .string(let r)? where TID.isValid(r): rev = r
        case nil where version == 2: rev = ""
        default: throw CommitError(.invalidCommit, "commit rev is missing or not a valid TID")
        }
        let prev: CID?
        switch map["prev"] {
        case .null?: prev = nil
        case .link(let cid)?: prev = cid
        case nil where version == 2: prev = nil
        default: throw CommitError(.invalidCommit, "commit prev must be a link or null and present")
        }
        let unsigned = UnsignedCommit(did: did, data: data, rev: rev, prev: prev, version: Int(version))
        self.init(unsigned: unsigned, sig: sig)
        if DAGCBOR.encode(dataValue) != bytes {
            throw CommitError(.invalidCommit, "commit block does not re-encode to the same bytes")
        }
    }
}
