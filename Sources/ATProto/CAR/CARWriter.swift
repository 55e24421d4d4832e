/// Writes a CAR v1 stream to a sink: the header `{roots, version: 1}` then one frame per block
/// (`varint(len) ‖ CID ‖ bytes`). Output is handed to the sink in chunks of about `chunkSize` bytes
/// (a frame larger than that is handed over alone), so memory stays bounded whatever the repository size.
///
/// Call ``finish()`` to flush the last chunk.
public struct CARWriter {
    private let sink: ([UInt8]) throws -> Void
    private let chunkSize: Int
    private var buffer: [UInt8] = []
    public private(set) var bytesWritten = 0
    public private(set) var blocksWritten = 0

    /// Writes the header for `roots` (a repository export has exactly one: the commit CID).
    public init(roots: [CID], chunkSize: Int = 64 * 1024, sink: @escaping ([UInt8]) throws -> Void) throws {
        self.sink = sink
        self.chunkSize = max(1, chunkSize)
        buffer.reserveCapacity(self.chunkSize + 256)
        let header = Self.header(roots: roots)
        Varint.encode(UInt64(header.count), into: &buffer)
        buffer.append(contentsOf: header)
        try flushIfFull()
    }

    /// The header bytes (without the length prefix).
    public static func header(roots: [CID]) -> [UInt8] {
        DAGCBOR.encode(.map(["version": .int(1), "roots": .array(roots.map { .link($0) })]))
    }

    /// Appends one block. The caller vouches that `bytes` hash to `cid`.
    public mutating func write(_ cid: CID, _ bytes: [UInt8]) throws {
        Varint.encode(UInt64(cid.bytes.count + bytes.count), into: &buffer)
        buffer.append(contentsOf: cid.bytes)
        if bytes.count >= chunkSize {
            try flush()
            try emit(bytes)
        } else {
            buffer.append(contentsOf: bytes)
            try flushIfFull()
        }
        blocksWritten += 1
    }

    public mutating func write(_ block: CARBlock) throws { try write(block.cid, block.bytes) }

    /// Hands any buffered bytes to the sink.
    public mutating func finish() throws { try flush() }

    private mutating func flushIfFull() throws {
        if buffer.count >= chunkSize { try flush() }
    }

    private mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        let chunk = buffer
        buffer.removeAll(keepingCapacity: true)
        try emit(chunk)
    }

    private mutating func emit(_ chunk: [UInt8]) throws {
        bytesWritten += chunk.count
        try sink(chunk)
    }
}

extension CARWriter {
    /// A whole CAR in memory, for small payloads (a firehose event's `blocks`, tests).
    public static func encode(roots: [CID], blocks: some Sequence<CARBlock>) -> [UInt8] {
        let header = header(roots: roots)
        var out: [UInt8] = []
        Varint.encode(UInt64(header.count), into: &out)
        out.append(contentsOf: header)
        for block in blocks {
            Varint.encode(UInt64(block.cid.bytes.count + block.bytes.count), into: &out)
            out.append(contentsOf: block.cid.bytes)
            out.append(contentsOf: block.bytes)
        }
        return out
    }
}
