/// One block of a CAR stream.
public struct CARBlock: Sendable, Hashable {
    public let cid: CID
    public let bytes: [UInt8]

    public init(cid: CID, bytes: [UInt8]) {
        self.cid = cid
        self.bytes = bytes
    }
}
