/// Synchronous, content-addressed block access for MST nodes and records.
///
/// ATProto does no I/O of its own: Storage implements this inside a database transaction (which runs on a
/// database thread, so a synchronous call is right), tests and imports use ``MemoryBlockStore``.
public protocol BlockReader {
    /// The bytes stored under `cid`, or nil when the block is not there.
    func readBlock(_ cid: CID) throws -> [UInt8]?

    /// Decoded nodes to reuse across trees and transactions instead of reading and decoding them again; nil
    /// (the default) for none.
    var nodeCache: MSTNodeCache? { get }
}

extension BlockReader {
    public var nodeCache: MSTNodeCache? { nil }
}
