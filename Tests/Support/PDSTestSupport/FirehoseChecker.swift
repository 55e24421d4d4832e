import ATProto
import Foundation

/// A consumer that checks every frame: seqs strictly increasing with no gap, and for every `#commit` the
/// signature against the account key, `rev` increasing per repo, `since` chaining to the previous rev, and the
/// inversion of its ops on the carried blocks giving `prevData`.
public struct FirehoseChecker: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public struct Frame: Sendable {
        public let type: String
        public let body: DataValue
        public var seq: Int64? { body["seq"]?.intValue }
    }

    public var keys: [String: PublicKey]
    /// Require `seq == previous + 1` (a single writer on one server).
    public var requireContiguous = true
    public private(set) var lastSeq: Int64?
    public private(set) var lastRev: [String: String] = [:]
    public private(set) var seqs: [Int64] = []
    public private(set) var counts: [String: Int] = [:]

    public init(keys: [String: PublicKey]) {
        self.keys = keys
    }

    public static func decode(_ bytes: [UInt8]) throws -> Frame {
        let (header, body) = try FirehoseFrame.decode(bytes)
        if header["op"]?.intValue == -1 {
            return Frame(type: "error", body: body)
        }
        guard header["op"]?.intValue == 1, let type = header["t"]?.stringValue else {
            throw Failure(description: "bad frame header \(header)")
        }
        return Frame(type: type, body: body)
    }

    /// Checks one frame; returns it decoded.
    @discardableResult
    public mutating func check(_ bytes: [UInt8]) throws -> Frame {
        let frame = try Self.decode(bytes)
        counts[frame.type, default: 0] += 1
        guard frame.type.hasPrefix("#"), frame.type != "#info" else { return frame }
        guard let seq = frame.seq else { throw Failure(description: "\(frame.type) without seq") }
        if let lastSeq {
            guard seq > lastSeq else { throw Failure(description: "seq \(seq) after \(lastSeq)") }
            if requireContiguous, seq != lastSeq + 1 { throw Failure(description: "gap: seq \(seq) after \(lastSeq)") }
        }
        lastSeq = seq
        seqs.append(seq)
        switch frame.type {
        case "#commit": try checkCommit(frame.body)
        case "#sync":
            guard let did = frame.body["did"]?.stringValue, let rev = frame.body["rev"]?.stringValue else {
                throw Failure(description: "#sync without did/rev")
            }
            if let previous = lastRev[did], rev < previous { throw Failure(description: "#sync rev went back for \(did)") }
            lastRev[did] = rev
        default: break
        }
        return frame
    }

    private mutating func checkCommit(_ body: DataValue) throws {
        guard let repo = body["repo"]?.stringValue, let commitCID = body["commit"]?.linkValue,
            let rev = body["rev"]?.stringValue, let car = body["blocks"]?.bytesValue,
            let opValues = body["ops"]?.arrayValue
        else { throw Failure(description: "#commit misses a field: \(body)") }
        guard body["tooBig"]?.boolValue == false, body["rebase"]?.boolValue == false,
            body["blobs"]?.arrayValue?.isEmpty == true
        else { throw Failure(description: "#commit tooBig/rebase/blobs wrong") }
        let since = body["since"]?.stringValue
        let prevData = body["prevData"]?.linkValue
        var reader = CARReader()
        let blocks = try reader.feed(car)
        guard reader.roots == [commitCID] else { throw Failure(description: "CAR root is not the commit") }
        let map = Dictionary(blocks.map { ($0.cid, $0.bytes) }, uniquingKeysWith: { first, _ in first })
        let ops = try opValues.map { value throws -> RepoOperation in try RepoOperation(dataValue: value) }
        let commit = try CommitProof.verifyInversion(
            commit: commitCID, prevData: prevData, ops: ops, blocks: map, requireRecordBlocks: true)
        guard let key = keys[repo] else { throw Failure(description: "no key for \(repo)") }
        guard commit.verifySignature(with: key) else { throw Failure(description: "bad signature on \(rev) of \(repo)") }
        guard commit.rev == rev, commit.did == repo else { throw Failure(description: "commit rev/did differ from the event") }
        if let previous = lastRev[repo] {
            guard rev > previous else { throw Failure(description: "rev \(rev) not after \(previous) for \(repo)") }
            guard since == previous else {
                throw Failure(description: "since \(since ?? "nil") does not chain to \(previous) for \(repo)")
            }
        }
        lastRev[repo] = rev
    }
}
