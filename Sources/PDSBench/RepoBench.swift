import ATProto
import Foundation

/// Seconds taken by `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func report(_ label: String, _ detail: String) {
    print(label.padding(toLength: 28, withPad: " ", startingAt: 0) + " " + detail)
}

/// k256 and p256 signing and verification per second (SHA-256 of a commit-sized message included).
func benchKeys() throws {
    let message = [UInt8](repeating: 0x5a, count: 200)
    let count = 20_000
    for (name, key) in [("k256", K256PrivateKey() as any SigningKey), ("p256", P256PrivateKey() as any SigningKey)] {
        var signature: [UInt8] = []
        let signTime = try seconds { for _ in 0..<count { signature = try key.sign(message) } }
        var ok = true
        let verifyTime = seconds { for _ in 0..<count { ok = ok && key.publicKey.verify(signature: signature, message: message) } }
        precondition(ok, "verification failed")
        report("\(name) sign", String(format: "%9.0f /s  (%.1f µs each)", Double(count) / signTime, signTime / Double(count) * 1e6))
        report("\(name) verify", String(format: "%9.0f /s  (%.1f µs each)", Double(count) / verifyTime, verifyTime / Double(count) * 1e6))
    }
}

func mstKeys(_ count: Int, seed: Int) -> [String] {
    (0..<count).map { i in
        // Record keys shaped like TIDs, spread over a few collections.
        let collection = ["app.bsky.feed.post", "app.bsky.feed.like", "app.bsky.graph.follow"][i % 3]
        return "\(collection)/3k\(String(format: "%011d", (i &* 2_654_435_761 &+ seed) % 100_000_000_000))"
    }
}

/// MST insert of N keys, then a diff against a copy that differs in 1% of the keys; linearity shown over sizes.
func benchMST(sizes: [Int]) throws {
    let value = CID.dagCBOR(hashing: [1, 2, 3])
    let other = CID.dagCBOR(hashing: [4, 5, 6])
    for n in sizes {
        let keys = Set(mstKeys(n, seed: 17))
        var tree = MST(reader: MemoryBlockStore())
        let insertTime = try seconds { for key in keys { try tree.insert(key, value) } }
        var root = CID.dagCBOR(hashing: [])
        let rootTime = seconds { root = tree.rootCID }
        var changed = tree
        let step = max(n / 1000, 1)
        for (i, key) in keys.sorted().enumerated() where i % 100 == 0 {
            try changed.update(key, other)
        }
        _ = changed.rootCID
        var diff = MSTDiff()
        let diffTime = try seconds { diff = try MST.diff(from: tree, to: changed) }
        _ = step
        report(
            "mst \(n) keys",
            String(
                format: "insert %.2f s (%.1f µs/key), root %.3f s, diff of %d changes %.3f s, root %@",
                insertTime, insertTime / Double(n) * 1e6, rootTime, diff.entries.count, diffTime, root.string))
    }
}

/// CAR write of N blocks to a counting sink (no whole-CAR buffer).
func benchCAR(sizes: [Int]) throws {
    for n in sizes {
        let blocks = (0..<n).map { i -> CARBlock in
            let bytes = DAGCBOR.encode(["$type": "app.bsky.feed.like", "n": .int(Int64(i)), "createdAt": "2026-11-25T10:00:00.000Z"])
            return CARBlock(cid: CID.dagCBOR(hashing: bytes), bytes: bytes)
        }
        var total = 0
        let time = try seconds {
            var writer = try CARWriter(roots: [blocks[0].cid]) { chunk in total += chunk.count }
            for block in blocks { try writer.write(block) }
            try writer.finish()
        }
        var readBlocks = 0
        let readTime = try seconds {
            var reader = CARReader()
            var bytes: [UInt8] = []
            var writer = try CARWriter(roots: [blocks[0].cid]) { chunk in bytes += chunk }
            for block in blocks { try writer.write(block) }
            try writer.finish()
            readBlocks = try reader.feed(bytes).count
            try reader.finish()
        }
        report(
            "car \(n) blocks",
            String(format: "write %.3f s (%.0f blocks/s, %d bytes), write+read %.3f s (%d blocks)", time, Double(n) / time, total, readTime, readBlocks))
    }
}
