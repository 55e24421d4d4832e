/// An incremental CAR v1 parser: feed it chunks as they arrive, get back every block completed so far.
///
/// It checks each block's bytes against its CID (sha2-256) unless told not to, enforces limits on block
/// size, total size and block count, and accepts duplicate and unordered blocks (deduplication is the
/// caller's choice). ``finish()`` fails if the stream stopped inside the header or a block.
public struct CARReader {
    public struct Limits: Sendable, Equatable {
        /// Largest block (CID + data) accepted.
        public var maxBlockBytes: Int
        /// Largest whole stream accepted.
        public var maxTotalBytes: Int
        /// Most blocks accepted.
        public var maxBlocks: Int
        /// Largest header accepted.
        public var maxHeaderBytes: Int

        public init(maxBlockBytes: Int = 4 << 20, maxTotalBytes: Int = 1 << 30, maxBlocks: Int = 10_000_000, maxHeaderBytes: Int = 64 << 10) {
            self.maxBlockBytes = maxBlockBytes
            self.maxTotalBytes = maxTotalBytes
            self.maxBlocks = maxBlocks
            self.maxHeaderBytes = maxHeaderBytes
        }

        public static let `default` = Limits()
    }

    public let limits: Limits
    public let verifyCIDs: Bool
    /// The header's roots, once the header has been read.
    public private(set) var roots: [CID]?
    public private(set) var blockCount = 0
    /// Bytes fed so far.
    public private(set) var totalBytes = 0

    private var buffer: [UInt8] = []
    /// Start of unparsed data in `buffer`.
    private var position = 0
    /// Stream offset of `buffer[0]`.
    private var bufferOffset = 0
    private var isFinished = false

    public init(limits: Limits = .default, verifyCIDs: Bool = true) {
        self.limits = limits
        self.verifyCIDs = verifyCIDs
    }

    /// Parses `chunk` and returns the blocks it completes.
    public mutating func feed(_ chunk: some Collection<UInt8>) throws(CARError) -> [CARBlock] {
        guard !isFinished else { throw CARError(.finished, "data fed after finish()", offset: totalBytes) }
        guard chunk.count <= limits.maxTotalBytes - totalBytes else {
            throw CARError(.limitExceeded, "stream exceeds \(limits.maxTotalBytes) bytes", offset: totalBytes)
        }
        totalBytes += chunk.count
        if position > 0 && position >= buffer.count / 2 {
            buffer.removeFirst(position)
            bufferOffset += position
            position = 0
        }
        buffer.append(contentsOf: chunk)
        var blocks: [CARBlock] = []
        while let frame = try nextFrame() {
            if roots == nil {
                try readHeader(frame)
            } else {
                blocks.append(try readBlock(frame))
            }
        }
        return blocks
    }

    /// Ends the stream: fails if it stopped inside the header or a block, or had no header.
    public mutating func finish() throws(CARError) {
        isFinished = true
        guard roots != nil else { throw CARError(.truncated, "stream ended before the header", offset: totalBytes) }
        guard position == buffer.count else {
            throw CARError(.truncated, "stream ended inside a block (\(buffer.count - position) bytes left over)", offset: bufferOffset + position)
        }
    }

    /// Reads a whole CAR held in memory.
    public static func read(_ bytes: [UInt8], limits: Limits = .default, verifyCIDs: Bool = true) throws(CARError) -> (roots: [CID], blocks: [CARBlock]) {
        var reader = CARReader(limits: limits, verifyCIDs: verifyCIDs)
        let blocks = try reader.feed(bytes)
        try reader.finish()
        return (reader.roots ?? [], blocks)
    }

    // MARK: Framing

    /// The next complete frame's byte range, or nil if more input is needed.
    private mutating func nextFrame() throws(CARError) -> Range<Int>? {
        guard position < buffer.count else { return nil }
        let start = bufferOffset + position
        let length: UInt64
        let used: Int
        do {
            (length, used) = try Varint.decode(buffer, at: position)
        } catch {
            if case .truncated = error { return nil }
            throw CARError(roots == nil ? .invalidHeader : .invalidBlock, "bad frame length: \(error)", offset: start)
        }
        let limit = roots == nil ? limits.maxHeaderBytes : limits.maxBlockBytes
        guard length <= UInt64(limit) else {
            throw CARError(.limitExceeded, "\(roots == nil ? "header" : "block") of \(length) bytes exceeds \(limit)", offset: start)
        }
        guard length > 0 else {
            throw CARError(roots == nil ? .invalidHeader : .invalidBlock, "empty frame", offset: start)
        }
        let bodyStart = position + used
        guard buffer.count - bodyStart >= Int(length) else { return nil }
        position = bodyStart + Int(length)
        return bodyStart..<position
    }

    private mutating func readHeader(_ range: Range<Int>) throws(CARError) {
        let offset = bufferOffset + range.lowerBound
        let value: DataValue
        do {
            value = try DAGCBOR.decode(Array(buffer[range]))
        } catch {
            throw CARError(.invalidHeader, "header is not DAG-CBOR: \(error)", offset: offset)
        }
        guard case .map(let map) = value else { throw CARError(.invalidHeader, "header is not a map", offset: offset) }
        guard map["version"] == .int(1) else {
            throw CARError(.invalidHeader, "header version must be 1, is \(map["version"].map { "\($0)" } ?? "missing")", offset: offset)
        }
        guard case .array(let rawRoots)? = map["roots"] else {
            throw CARError(.invalidHeader, "header roots must be an array of links", offset: offset)
        }
        var roots: [CID] = []
        for raw in rawRoots {
            guard case .link(let cid) = raw else { throw CARError(.invalidHeader, "header root is a \(raw.typeName), not a link", offset: offset) }
            roots.append(cid)
        }
        self.roots = roots
    }

    private mutating func readBlock(_ range: Range<Int>) throws(CARError) -> CARBlock {
        let offset = bufferOffset + range.lowerBound
        guard blockCount < limits.maxBlocks else {
            throw CARError(.limitExceeded, "more than \(limits.maxBlocks) blocks", offset: offset)
        }
        let frame = Array(buffer[range])
        let cid: CID
        let used: Int
        do {
            (cid, used) = try CID.parsePrefix(frame, from: 0)
        } catch {
            throw CARError(.invalidBlock, "bad block CID: \(error)", offset: offset)
        }
        let data = Array(frame[used...])
        if verifyCIDs {
            guard cid.hashFunction == CID.sha256Code else {
                throw CARError(.unsupportedHash, "block \(cid) uses hash 0x\(String(cid.hashFunction, radix: 16))", offset: offset)
            }
            guard CID.sha256(codec: cid.codec, hashing: data) == cid else {
                throw CARError(.cidMismatch, "block bytes do not match \(cid)", offset: offset)
            }
        }
        blockCount += 1
        return CARBlock(cid: cid, bytes: data)
    }
}
