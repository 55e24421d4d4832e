import ATProto
import Testing

@Suite struct CARTests {
    static func randomBlocks(_ count: Int, using rng: inout SeededGenerator) -> [CARBlock] {
        (0..<count).map { i in
            let bytes = DAGCBOR.encode(.map(["i": .int(Int64(i)), "data": .bytes(rng.bytes(Int.random(in: 0...300, using: &rng)))]))
            return CARBlock(cid: CID.dagCBOR(hashing: bytes), bytes: bytes)
        }
    }

    static func write(roots: [CID], blocks: [CARBlock], chunkSize: Int = 64) throws -> (bytes: [UInt8], chunks: Int) {
        var out: [UInt8] = []
        var chunks = 0
        var writer = try CARWriter(roots: roots, chunkSize: chunkSize) { chunk in
            out.append(contentsOf: chunk)
            chunks += 1
        }
        for block in blocks { try writer.write(block) }
        try writer.finish()
        #expect(writer.bytesWritten == out.count)
        #expect(writer.blocksWritten == blocks.count)
        return (out, chunks)
    }

    /// Feeds `bytes` in random-sized chunks.
    static func readChunked(_ bytes: [UInt8], using rng: inout SeededGenerator, limits: CARReader.Limits = .default) throws(CARError) -> (roots: [CID], blocks: [CARBlock]) {
        var reader = CARReader(limits: limits)
        var blocks: [CARBlock] = []
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, Int.random(in: 1...97, using: &rng))
            blocks += try reader.feed(bytes[offset..<(offset + n)])
            offset += n
        }
        try reader.finish()
        return (reader.roots ?? [], blocks)
    }

    @Test(arguments: [1, 2, 3, 4])
    func roundTripAtRandomChunkBoundaries(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let blocks = Self.randomBlocks(Int.random(in: 0...200, using: &rng), using: &rng)
        let root = blocks.first?.cid ?? RepoTestSupport.leaf
        let (bytes, chunks) = try Self.write(roots: [root], blocks: blocks, chunkSize: Int.random(in: 1...2000, using: &rng))
        #expect(chunks >= 1)
        #expect(bytes == CARWriter.encode(roots: [root], blocks: blocks))
        let (roots, read) = try Self.readChunked(bytes, using: &rng)
        #expect(roots == [root])
        #expect(read == blocks)
        let whole = try CARReader.read(bytes)
        #expect(whole.blocks == blocks)
    }

    @Test func headerIsCanonical() throws {
        let header = CARWriter.header(roots: [RepoTestSupport.leaf])
        // {"roots": [...], "version": 1}: "roots" sorts before "version" (shorter key first).
        #expect(Array(header.prefix(8)) == [0xa2, 0x65] + Array("roots".utf8) + [0x81])
        #expect(try CARReader.read(CARWriter.encode(roots: [], blocks: [])).roots == [])
    }

    @Test func toleratesDuplicateAndUnorderedBlocks() throws {
        var rng = SeededGenerator(seed: 9)
        let blocks = Self.randomBlocks(20, using: &rng)
        let mixed = (blocks + blocks.prefix(5)).shuffled(using: &rng)
        let (roots, read) = try CARReader.read(CARWriter.encode(roots: [blocks[3].cid], blocks: mixed))
        #expect(roots == [blocks[3].cid])
        #expect(read.count == 25)
        #expect(Set(read) == Set(blocks))
    }

    @Test func truncatedStreamsFailCleanly() throws {
        var rng = SeededGenerator(seed: 10)
        let blocks = Self.randomBlocks(10, using: &rng)
        let bytes = CARWriter.encode(roots: [blocks[0].cid], blocks: blocks)
        // Every cut inside the header or a block is a truncation; cuts at frame boundaries are complete CARs.
        var boundaries = Set<Int>()
        var offset = 0
        while offset < bytes.count {
            let (length, used) = try Varint.decode(bytes, at: offset)
            offset += used + Int(length)
            boundaries.insert(offset)
        }
        for cut in 0..<bytes.count {
            var reader = CARReader()
            let read = try reader.feed(bytes[0..<cut])
            if boundaries.contains(cut) {
                try reader.finish()
                #expect(read.count == boundaries.filter { $0 <= cut }.count - 1)
            } else {
                let error = #expect(throws: CARError.self, "cut at \(cut)") { try reader.finish() }
                #expect(error?.code == .truncated)
            }
        }
        var reader = CARReader()
        _ = try reader.feed(bytes)
        try reader.finish()
        let late = #expect(throws: CARError.self) { try reader.feed([0]) }
        #expect(late?.code == .finished)
    }

    @Test func corruptedStreamsFailCleanly() throws {
        var rng = SeededGenerator(seed: 11)
        let blocks = Self.randomBlocks(5, using: &rng)
        let good = CARWriter.encode(roots: [blocks[0].cid], blocks: blocks)

        // A flipped data byte in the last block: CID mismatch (unless verification is off).
        var flipped = good
        flipped[flipped.count - 1] ^= 0x01
        let mismatch = #expect(throws: CARError.self) { try CARReader.read(flipped) }
        #expect(mismatch?.code == .cidMismatch)
        #expect(try CARReader.read(flipped, verifyCIDs: false).blocks.count == 5)

        // Bad headers.
        func frame(_ body: [UInt8]) -> [UInt8] { Varint.encode(UInt64(body.count)) + body }
        for header in [
            DAGCBOR.encode(.map(["version": 2, "roots": .array([])])), DAGCBOR.encode(.map(["roots": .array([])])),
            DAGCBOR.encode(.map(["version": 1, "roots": .array(["x"])])), DAGCBOR.encode(.array([])), [0xff],
        ] {
            let error = #expect(throws: CARError.self) { try CARReader.read(frame(header)) }
            #expect(error?.code == .invalidHeader)
        }
        let emptyHeader = #expect(throws: CARError.self) { try CARReader.read([0x00]) }
        #expect(emptyHeader?.code == .invalidHeader)

        // A block whose CID is garbage, and a zero-length block frame.
        let header = frame(CARWriter.header(roots: []))
        let badCID = #expect(throws: CARError.self) { try CARReader.read(header + frame([0x07, 0x01, 0x02])) }
        #expect(badCID?.code == .invalidBlock)
        let empty = #expect(throws: CARError.self) { try CARReader.read(header + [0x00]) }
        #expect(empty?.code == .invalidBlock)
        // A non-minimal varint length.
        let varint = #expect(throws: CARError.self) { try CARReader.read(header + [0x81, 0x00]) }
        #expect(varint?.code == .invalidBlock)
        // Random mutations never crash: they parse or fail with a CARError.
        for _ in 0..<300 {
            var mutated = good
            let i = Int.random(in: 0..<mutated.count, using: &rng)
            mutated[i] = UInt8.random(in: 0...255, using: &rng)
            _ = try? CARReader.read(mutated)
        }
    }

    @Test func limitsAreEnforced() throws {
        var rng = SeededGenerator(seed: 12)
        let blocks = Self.randomBlocks(30, using: &rng)
        let bytes = CARWriter.encode(roots: [], blocks: blocks)
        let biggest = blocks.map { $0.bytes.count + $0.cid.bytes.count }.max()!
        var limits = CARReader.Limits()
        limits.maxBlockBytes = biggest - 1
        #expect((try? CARReader.read(bytes, limits: limits)) == nil)
        let tooBig = #expect(throws: CARError.self) { try CARReader.read(bytes, limits: limits) }
        #expect(tooBig?.code == .limitExceeded)
        limits = CARReader.Limits()
        limits.maxBlocks = 29
        #expect((#expect(throws: CARError.self) { try CARReader.read(bytes, limits: limits) })?.code == .limitExceeded)
        limits = CARReader.Limits()
        limits.maxTotalBytes = bytes.count - 1
        let total = #expect(throws: CARError.self) { try Self.readChunked(bytes, using: &rng, limits: limits) }
        #expect(total?.code == .limitExceeded)
        limits.maxTotalBytes = bytes.count
        #expect(try Self.readChunked(bytes, using: &rng, limits: limits).blocks.count == 30)
    }

    @Test func writerStreamsInBoundedChunks() throws {
        var rng = SeededGenerator(seed: 13)
        let blocks = Self.randomBlocks(500, using: &rng)
        var largest = 0
        var writer = try CARWriter(roots: [], chunkSize: 4096) { chunk in largest = max(largest, chunk.count) }
        for block in blocks { try writer.write(block) }
        try writer.finish()
        #expect(largest < 4096 + 400)
        #expect(writer.bytesWritten == CARWriter.encode(roots: [], blocks: blocks).count)
    }
}
