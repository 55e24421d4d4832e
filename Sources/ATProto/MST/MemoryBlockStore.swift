/// An in-memory ``BlockReader``: a dictionary from CID to block bytes.
public struct MemoryBlockStore: BlockReader, Sendable {
    public private(set) var blocks: [CID: [UInt8]]

    public init(_ blocks: [CID: [UInt8]] = [:]) {
        self.blocks = blocks
    }

    public func readBlock(_ cid: CID) -> [UInt8]? { blocks[cid] }

    /// Stores `bytes` under `cid` (the caller vouches that they match).
    public mutating func put(_ cid: CID, _ bytes: [UInt8]) {
        blocks[cid] = bytes
    }

    /// Stores every block of `other`.
    public mutating func put(contentsOf other: [CID: [UInt8]]) {
        blocks.merge(other) { _, new in new }
    }

    /// Stores DAG-CBOR bytes under their computed CID and returns it.
    @discardableResult
    public mutating func putDAGCBOR(_ bytes: [UInt8]) -> CID {
        let cid = CID.dagCBOR(hashing: bytes)
        blocks[cid] = bytes
        return cid
    }

    public var count: Int { blocks.count }
}
