import ATProto
import Foundation

func realisticRecords(count: Int) -> [DataValue] {
    var rng = SystemRandomNumberGenerator()
    let words = ["the", "atproto", "firehose", "is", "fast", "and", "swift", "relay", "post", "🦋", "日本語", "naïve"]
    let cid = CID.dagCBOR(hashing: Array("parent".utf8))
    let blob = BlobRef(ref: CID.raw(hashing: Array("image".utf8)), mimeType: "image/jpeg", size: 123_456)
    return (0..<count).map { i in
        let text = (0..<(10 + i % 30)).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
        var record: [String: DataValue] = [
            "$type": "app.bsky.feed.post",
            "text": .string(text),
            "createdAt": .string("2026-11-25T10:\(10 + i % 50):00.000Z"),
            "langs": ["en", "ja"],
        ]
        if i % 3 == 0 {
            record["facets"] = [[
                "index": ["byteStart": 0, "byteEnd": 7],
                "features": [["$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/some/path?q=1"]],
            ]]
        }
        if i % 4 == 0 {
            record["embed"] = [
                "$type": "app.bsky.embed.images",
                "images": [["alt": "a picture", "image": blob.dataValue, "aspectRatio": ["width": 1200, "height": 800]]],
            ]
        }
        if i % 5 == 0 {
            let ref: DataValue = ["uri": "at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/3kabcdefghij2", "cid": .string(cid.string)]
            record["reply"] = ["root": ref, "parent": ref]
        }
        return .map(record)
    }
}

func measure(_ label: String, bytes: Int, iterations: Int, _ body: () throws -> Void) rethrows {
    try body()  // warm up
    let start = ContinuousClock.now
    for _ in 0..<iterations { try body() }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let mb = Double(bytes * iterations) / 1_000_000
    let padded = label.padding(toLength: 28, withPad: " ", startingAt: 0)
    print(padded + String(format: " %9.1f MB/s  %8.3f s  (%d x %d bytes)", mb / seconds, seconds, iterations, bytes))
}

func benchCBOR(arguments: [String]) throws {
    let records = realisticRecords(count: 10_000)
    let encoded = records.map { DAGCBOR.encode($0) }
    let total = encoded.reduce(0) { $0 + $1.count }
    if let path = arguments.first {
        // Length-prefixed records for the side-by-side Python (cbrrr) run.
        var out = [UInt8]()
        for e in encoded {
            Varint.encode(UInt64(e.count), into: &out)
            out += e
        }
        try Data(out).write(to: URL(fileURLWithPath: path))
        print("wrote \(records.count) records (\(total) bytes) to \(path)")
    }
    measure("dag-cbor encode", bytes: total, iterations: 20) {
        for r in records { _ = DAGCBOR.encode(r) }
    }
    try measure("dag-cbor decode", bytes: total, iterations: 20) {
        for e in encoded { _ = try DAGCBOR.decode(e) }
    }
    measure("dag-cbor encode+cid", bytes: total, iterations: 20) {
        for r in records { _ = r.cid }
    }
}

let args = Array(CommandLine.arguments.dropFirst())
switch args.first {
case "cbor": try benchCBOR(arguments: Array(args.dropFirst()))
case "keys": try benchKeys()
case "mst": try benchMST(sizes: [25_000, 50_000, 100_000])
case "car": try benchCAR(sizes: [25_000, 50_000, 100_000])
case "sync-seed": try await seedSyncRepo(arguments: Array(args.dropFirst()))
case "commit": try await benchCommits(arguments: Array(args.dropFirst()))
case "firehose-replay":
    // pds-bench firehose-replay [events=100000] [runs=3] [frame-bytes=700]
    let rest = args.dropFirst().compactMap { Int($0) }
    try await benchFirehoseReplay(
        events: rest.count > 0 ? rest[0] : 100_000, runs: rest.count > 1 ? rest[1] : 3, frameBytes: rest.count > 2 ? rest[2] : 700)
case "firehose-fanout":
    // pds-bench firehose-fanout [subscribers=100] [commits/s=1000] [seconds=10] [accounts=20]
    let rest = args.dropFirst().compactMap { Int($0) }
    try await benchFirehoseFanout(
        subscribers: rest.count > 0 ? rest[0] : 100, rate: rest.count > 1 ? rest[1] : 1_000,
        duration: rest.count > 2 ? rest[2] : 10, accountCount: rest.count > 3 ? rest[3] : 20)
case "all":
    try benchCBOR(arguments: [])
    try benchKeys()
    try benchMST(sizes: [25_000, 50_000, 100_000])
    try benchCAR(sizes: [25_000, 50_000, 100_000])
case "load":
    do {
        try LoadBench(options: LoadBench.Options(arguments: Array(args.dropFirst()))).run()
    } catch {
        FileHandle.standardError.write(Data("pds-bench load: \(error)\n".utf8))
        exit(1)
    }
case "plc":
    do {
        var port: UInt16 = 0
        if args.count == 3, args[1] == "--port", let value = UInt16(args[2]) {
            port = value
        } else if args.count != 1 {
            throw BenchError("usage: pds-bench plc [--port PORT]")
        }
        try BenchPLC.serve(port: port)
    } catch {
        FileHandle.standardError.write(Data("pds-bench plc: \(error)\n".utf8))
        exit(1)
    }
default:
    print(
        """
        usage: pds-bench cbor [records-file] | keys | mst | car | all   (protocol core; build with -c release)
               pds-bench sync-seed DATA_DIR [RECORDS]   (a large repository for scripts/bench-getrepo.sh)
               pds-bench commit [clients] [seconds] [records-per-repo]   (the commit path in-process, no HTTP)
               pds-bench firehose-replay [events] [runs] [frame-bytes]   (in-process server, one subscriber)
               pds-bench firehose-fanout [subscribers] [commits/s] [seconds] [accounts]
               pds-bench plc [--port PORT]     (an accept-everything did:plc directory for load benchmarks)
               pds-bench load [options]        (repository load against a running server; --help for options)
        """)
}
