/// DAG-CBOR as atproto uses it (DRISL): the canonical binary encoding of the data model.
///
/// Encoding is deterministic: shortest heads, definite lengths, map keys sorted length-first then bytewise,
/// CID links as tag 42 over `0x00` + the binary CID. Decoding is strict and refuses anything another
/// encoder could not have produced canonically, so that bytes and CIDs always agree.
public enum DAGCBOR {
    /// Bounds the decoder enforces on untrusted input.
    public struct Limits: Sendable, Equatable {
        /// Deepest nesting of arrays and maps.
        public var maxDepth: Int
        /// Most elements in one array or entries in one map.
        public var maxCollectionCount: Int
        /// Longest string or byte string, in bytes.
        public var maxStringBytes: Int
        /// Largest input accepted at all.
        public var maxInputBytes: Int

        public init(maxDepth: Int = 64, maxCollectionCount: Int = 1 << 20, maxStringBytes: Int = 8 << 20, maxInputBytes: Int = 64 << 20) {
            self.maxDepth = maxDepth
            self.maxCollectionCount = maxCollectionCount
            self.maxStringBytes = maxStringBytes
            self.maxInputBytes = maxInputBytes
        }

        public static let `default` = Limits()
    }

    /// Encodes `value` canonically.
    public static func encode(_ value: DataValue) -> [UInt8] {
        var encoder = DAGCBOREncoder()
        encoder.encode(value)
        return encoder.output
    }

    /// Appends the canonical encoding of `value` to `output`.
    public static func encode(_ value: DataValue, into output: inout [UInt8]) {
        var encoder = DAGCBOREncoder(output: output)
        output = []
        encoder.encode(value)
        output = encoder.output
    }

    /// Encodes `value` and returns its bytes with their dag-cbor CID.
    public static func encodeWithCID(_ value: DataValue) -> (cid: CID, bytes: [UInt8]) {
        let bytes = encode(value)
        return (CID.dagCBOR(hashing: bytes), bytes)
    }

    /// Decodes exactly one value; trailing bytes are an error.
    public static func decode(_ bytes: [UInt8], limits: Limits = .default) throws(DAGCBORError) -> DataValue {
        let (value, used) = try decodePrefix(bytes, limits: limits)
        guard used == bytes.count else {
            throw DAGCBORError(.trailingBytes, at: used, "\(bytes.count - used) bytes after the value")
        }
        return value
    }

    /// Decodes one value at the start of `bytes` and says how many bytes it used (event-stream frames are a
    /// header value followed by a body value).
    public static func decodePrefix(_ bytes: [UInt8], limits: Limits = .default) throws(DAGCBORError) -> (value: DataValue, used: Int) {
        guard bytes.count <= limits.maxInputBytes else {
            throw DAGCBORError(.limitExceeded, at: 0, "input of \(bytes.count) bytes exceeds \(limits.maxInputBytes)")
        }
        let result: Result<(DataValue, Int), DAGCBORError> = bytes.withUnsafeBufferPointer { buffer in
            var decoder = DAGCBORDecoder(buffer: buffer, limits: limits)
            do throws(DAGCBORError) {
                let value = try decoder.decodeValue(depth: 0)
                return .success((value, decoder.position))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// Why a DAG-CBOR input was refused, and where.
public struct DAGCBORError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        case truncated
        case trailingBytes
        case nonMinimalHeader
        case indefiniteLength
        case floatNotAllowed
        case unsupportedSimpleValue
        case unsupportedTag
        case invalidLink
        case nonStringMapKey
        case unsortedMapKeys
        case duplicateMapKey
        case invalidUTF8
        case integerOutOfRange
        case reservedAdditionalInfo
        case limitExceeded
    }

    public let kind: Kind
    /// Byte offset of the offending item in the input.
    public let offset: Int
    public let detail: String

    public init(_ kind: Kind, at offset: Int, _ detail: String) {
        self.kind = kind
        self.offset = offset
        self.detail = detail
    }

    public var description: String { "DAG-CBOR \(kind.rawValue) at byte \(offset): \(detail)" }
}
