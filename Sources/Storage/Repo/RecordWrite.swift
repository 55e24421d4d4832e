import ATProto

/// One record write of a commit, prepared by the caller (validated, encoded, CID computed) before the
/// database transaction starts, so the transaction does only what must be serialized.
public struct RecordWrite: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable {
        /// Fails if the record exists.
        case create
        /// Fails if the record does not exist.
        case update
        /// Creates or replaces (putRecord).
        case put
        /// Fails if the record does not exist.
        case delete
    }

    /// What the current record must be for the write to go ahead (`swapRecord`).
    public enum Swap: Sendable, Hashable {
        case unchecked
        case mustNotExist
        case mustBe(CID)
    }

    /// A link the record holds that makes an older record with the same link redundant (a second follow of
    /// the same DID, a second like of the same post): `path` is `subject` or `subject.uri`.
    public struct Backlink: Sendable, Hashable {
        public var path: String
        public var linkTo: String

        public init(path: String, linkTo: String) {
            self.path = path
            self.linkTo = linkTo
        }
    }

    public var action: Action
    public var collection: String
    public var rkey: String
    /// The record's CID and DAG-CBOR bytes; nil for a delete.
    public var record: EncodedRecord?
    public var swap: Swap
    /// Blobs the record references (checked against uploads and made permanent).
    public var blobs: [BlobRef]
    /// Links recorded for de-duplication; `replaceSameBacklinks` deletes older records of the same collection
    /// with the same link in the same commit (what the reference does for follows, blocks, likes, reposts).
    public var backlinks: [Backlink]
    public var replaceSameBacklinks: Bool

    public init(
        action: Action, collection: String, rkey: String, record: EncodedRecord? = nil, swap: Swap = .unchecked,
        blobs: [BlobRef] = [], backlinks: [Backlink] = [], replaceSameBacklinks: Bool = false
    ) {
        self.action = action
        self.collection = collection
        self.rkey = rkey
        self.record = record
        self.swap = swap
        self.blobs = blobs
        self.backlinks = backlinks
        self.replaceSameBacklinks = replaceSameBacklinks
    }

    public var path: String { "\(collection)/\(rkey)" }
}

/// A record encoded as DAG-CBOR, with its CID.
public struct EncodedRecord: Sendable, Hashable {
    public let cid: CID
    public let bytes: [UInt8]

    public init(_ value: DataValue) {
        let bytes = DAGCBOR.encode(value)
        self.bytes = bytes
        self.cid = CID.dagCBOR(hashing: bytes)
    }

    public init(cid: CID, bytes: [UInt8]) {
        self.cid = cid
        self.bytes = bytes
    }
}

/// What a committed write did.
public struct CommitOutcome: Sendable {
    public struct Applied: Sendable, Hashable {
        public let action: RepoOperation.Action
        public let collection: String
        public let rkey: String
        public let cid: CID?
    }

    public let did: String
    public let commitCID: CID
    /// The new MST root (the commit's `data`).
    public let dataCID: CID
    public let rev: String
    /// Sequence number of the `#commit` event.
    public let seq: Int64
    /// The writes as applied, including deletes added by backlink de-duplication, in commit order.
    public let applied: [Applied]
    /// Blobs no record references any more: their files can go.
    public let releasedBlobs: [CID]
    /// Bytes of blocks stored by this commit (MST nodes, commit, records).
    public let bytesWritten: Int
    public let blocksWritten: Int
}
