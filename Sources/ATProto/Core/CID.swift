import Crypto

/// A content identifier, version 1: `0x01 <codec> <multihash>`.
///
/// atproto's blessed forms are sha2-256 with codec dag-cbor (0x71: commits, MST nodes, records) or raw
/// (0x55: blobs). Other codecs and hashes parse and keep their exact bytes (imported data may carry them),
/// but CIDv0 (`Qm...`, bare multihash) is refused.
public struct CID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The binary form.
    public let bytes: [UInt8]
    public let codec: UInt64
    public let hashFunction: UInt64
    /// Offset of the digest inside `bytes`.
    private let digestOffset: Int

    public static let dagCBORCodec: UInt64 = 0x71
    public static let rawCodec: UInt64 = 0x55
    public static let sha256Code: UInt64 = 0x12

    public enum Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case unsupportedVersion(UInt64)
        case cidV0
        case badMultibase(String)
        case truncated
        case trailingBytes
        case badVarint(String)
        case digestLength(hash: UInt64, length: Int)

        public var description: String {
            switch self {
            case .empty: "CID is empty"
            case .unsupportedVersion(let v): "unsupported CID version \(v)"
            case .cidV0: "CIDv0 is not allowed; atproto uses CIDv1"
            case .badMultibase(let why): "bad CID string: \(why)"
            case .truncated: "CID is truncated"
            case .trailingBytes: "CID has trailing bytes"
            case .badVarint(let why): "bad varint in CID: \(why)"
            case .digestLength(let hash, let length): "digest length \(length) is wrong for hash 0x\(String(hash, radix: 16))"
            }
        }
    }

    /// The hash digest bytes.
    public var digest: ArraySlice<UInt8> { bytes[digestOffset...] }

    /// True for the two forms atproto writes: sha2-256 with dag-cbor or raw.
    public var isBlessed: Bool {
        hashFunction == Self.sha256Code && bytes.count - digestOffset == 32
            && (codec == Self.dagCBORCodec || codec == Self.rawCodec)
    }

    // MARK: Making

    private init(trustedBytes: [UInt8], codec: UInt64, hashFunction: UInt64, digestOffset: Int) {
        self.bytes = trustedBytes
        self.codec = codec
        self.hashFunction = hashFunction
        self.digestOffset = digestOffset
    }

    /// A sha2-256 CID of `codec` over `data`.
    public static func sha256(codec: UInt64, hashing data: some Sequence<UInt8>) -> CID {
        var hasher = SHA256()
        if let array = data as? [UInt8] {
            array.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        } else {
            Array(data).withUnsafeBytes { hasher.update(bufferPointer: $0) }
        }
        return fromSHA256(codec: codec, digest: hasher.finalize())
    }

    /// A CID from a finished sha2-256 digest.
    public static func fromSHA256(codec: UInt64, digest: some Sequence<UInt8>) -> CID {
        var out: [UInt8] = [0x01]
        out.reserveCapacity(36)
        Varint.encode(codec, into: &out)
        out.append(0x12)
        out.append(0x20)
        let offset = out.count
        out.append(contentsOf: digest)
        return CID(trustedBytes: out, codec: codec, hashFunction: sha256Code, digestOffset: offset)
    }

    /// The dag-cbor CID of already-encoded DAG-CBOR bytes.
    public static func dagCBOR(hashing data: [UInt8]) -> CID { sha256(codec: dagCBORCodec, hashing: data) }

    /// The raw CID of a blob's bytes.
    public static func raw(hashing data: [UInt8]) -> CID { sha256(codec: rawCodec, hashing: data) }

    // MARK: Parsing

    /// Parses the binary form, which must be exactly one CID.
    public init(bytes: some Collection<UInt8>) throws(Error) {
        let array = Array(bytes)
        let (cid, used) = try Self.parsePrefix(array, from: 0)
        guard used == array.count else { throw .trailingBytes }
        self = cid
    }

    /// Parses one CID at the start of `buffer[from...]`, returning it and the number of bytes used.
    public static func parsePrefix(_ buffer: [UInt8], from start: Int) throws(Error) -> (CID, Int) {
        guard start < buffer.count else { throw .empty }
        if buffer[start] == 0x12 && start + 1 < buffer.count && buffer[start + 1] == 0x20 { throw .cidV0 }
        var offset = start
        func varint() throws(Error) -> UInt64 {
            do {
                let (value, length) = try Varint.decode(buffer, at: offset)
                offset += length
                return value
            } catch {
                if case .truncated = error { throw .truncated }
                throw .badVarint(error.description)
            }
        }
        let version = try varint()
        guard version == 1 else { throw .unsupportedVersion(version) }
        let codec = try varint()
        let hash = try varint()
        let length = try varint()
        if hash == sha256Code && length != 32 { throw .digestLength(hash: hash, length: Int(length)) }
        guard length <= 128 else { throw .digestLength(hash: hash, length: Int(clamping: length)) }
        let digestOffset = offset - start
        guard buffer.count - offset >= Int(length) else { throw .truncated }
        let end = offset + Int(length)
        let cid = CID(
            trustedBytes: Array(buffer[start..<end]), codec: codec, hashFunction: hash, digestOffset: digestOffset)
        return (cid, end - start)
    }

    /// Parses the string form: multibase base32 (`b...`). Base58btc (`z...`) v1 strings are accepted too.
    public init(string: String) throws(Error) {
        guard let first = string.utf8.first else { throw .empty }
        if string.hasPrefix("Qm") { throw .cidV0 }
        guard first == UInt8(ascii: "b") || first == UInt8(ascii: "z") else {
            throw .badMultibase("unsupported multibase prefix \(String(string.prefix(1)).debugDescription)")
        }
        let decoded: [UInt8]
        do {
            decoded = try Multibase.decode(string)
        } catch {
            throw .badMultibase(error.description)
        }
        try self.init(bytes: decoded)
    }

    // MARK: Output

    /// The string form: `b` + lowercase base32, no padding.
    public var string: String { "b" + Multibase.base32Encode(bytes) }

    public var description: String { string }

    public static func < (lhs: CID, rhs: CID) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    public static func == (lhs: CID, rhs: CID) -> Bool { lhs.bytes == rhs.bytes }

    /// Hashes the bytes as one buffer (`combine(bytes)` on the array fed the hasher byte by byte, which showed in
    /// commit profiles).
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
