/// Strict reader of canonical DAG-CBOR over a byte buffer.
struct DAGCBORDecoder {
    let buffer: UnsafeBufferPointer<UInt8>
    let limits: DAGCBOR.Limits
    private(set) var position = 0

    init(buffer: UnsafeBufferPointer<UInt8>, limits: DAGCBOR.Limits) {
        self.buffer = buffer
        self.limits = limits
    }

    @inline(__always)
    private mutating func byte(_ start: Int) throws(DAGCBORError) -> UInt8 {
        guard position < buffer.count else { throw DAGCBORError(.truncated, at: start, "input ends inside an item") }
        let b = buffer[position]
        position += 1
        return b
    }

    /// Reads an item head: major type and argument, insisting on the shortest form.
    @inline(__always)
    private mutating func head() throws(DAGCBORError) -> (major: UInt8, info: UInt8, value: UInt64, start: Int) {
        let start = position
        let initial = try byte(start)
        let major = initial >> 5
        let info = initial & 0x1f
        switch info {
        case 0..<24:
            return (major, info, UInt64(info), start)
        case 24...27:
            let count = 1 << Int(info - 24)
            guard buffer.count - position >= count else {
                throw DAGCBORError(.truncated, at: start, "input ends inside an item header")
            }
            var value: UInt64 = 0
            for i in 0..<count { value = (value << 8) | UInt64(buffer[position + i]) }
            position += count
            if major == 7 { return (major, info, value, start) }
            let minimum: UInt64 = count == 1 ? 24 : (1 << UInt64(4 * count))
            guard value >= minimum else {
                throw DAGCBORError(.nonMinimalHeader, at: start, "argument \(value) is not in its shortest form")
            }
            return (major, info, value, start)
        case 31:
            throw DAGCBORError(.indefiniteLength, at: start, "indefinite-length items are not allowed")
        default:
            throw DAGCBORError(.reservedAdditionalInfo, at: start, "reserved additional information \(info)")
        }
    }

    @inline(__always)
    private mutating func length(_ value: UInt64, at start: Int, max: Int, what: String) throws(DAGCBORError) -> Int {
        guard value <= UInt64(max) else {
            throw DAGCBORError(.limitExceeded, at: start, "\(what) of \(value) exceeds the limit of \(max)")
        }
        return Int(value)
    }

    @inline(__always)
    private mutating func take(_ count: Int, at start: Int) throws(DAGCBORError) -> UnsafeBufferPointer<UInt8> {
        guard buffer.count - position >= count else {
            throw DAGCBORError(.truncated, at: start, "needs \(count) bytes, \(buffer.count - position) left")
        }
        let slice = UnsafeBufferPointer(rebasing: buffer[position..<(position + count)])
        position += count
        return slice
    }

    private mutating func text(_ value: UInt64, at start: Int) throws(DAGCBORError) -> String {
        let count = try length(value, at: start, max: limits.maxStringBytes, what: "string length")
        let bytes = try take(count, at: start)
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw DAGCBORError(.invalidUTF8, at: start, "string is not valid UTF-8")
        }
        return s
    }

    mutating func decodeValue(depth: Int) throws(DAGCBORError) -> DataValue {
        let (major, info, value, start) = try head()
        switch major {
        case 0:
            guard value <= UInt64(Int64.max) else {
                throw DAGCBORError(.integerOutOfRange, at: start, "integer \(value) exceeds 64-bit signed range")
            }
            return .int(Int64(value))
        case 1:
            guard value <= UInt64(Int64.max) else {
                throw DAGCBORError(.integerOutOfRange, at: start, "negative integer beyond 64-bit signed range")
            }
            return .int(-1 - Int64(value))
        case 2:
            let count = try length(value, at: start, max: limits.maxStringBytes, what: "byte string length")
            return .bytes(Array(try take(count, at: start)))
        case 3:
            return .string(try text(value, at: start))
        case 4:
            guard depth < limits.maxDepth else {
                throw DAGCBORError(.limitExceeded, at: start, "nesting deeper than \(limits.maxDepth)")
            }
            let count = try length(value, at: start, max: limits.maxCollectionCount, what: "array length")
            guard count <= buffer.count - position else {
                throw DAGCBORError(.truncated, at: start, "array of \(count) items cannot fit in the input")
            }
            var items = [DataValue]()
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try decodeValue(depth: depth + 1)) }
            return .array(items)
        case 5:
            guard depth < limits.maxDepth else {
                throw DAGCBORError(.limitExceeded, at: start, "nesting deeper than \(limits.maxDepth)")
            }
            let count = try length(value, at: start, max: limits.maxCollectionCount, what: "map size")
            guard count <= (buffer.count - position) / 2 else {
                throw DAGCBORError(.truncated, at: start, "map of \(count) entries cannot fit in the input")
            }
            var map = [String: DataValue](minimumCapacity: count)
            var previous: UnsafeBufferPointer<UInt8>? = nil
            for _ in 0..<count {
                let keyStart = position
                let (keyMajor, _, keyLength, _) = try head()
                guard keyMajor == 3 else {
                    throw DAGCBORError(.nonStringMapKey, at: keyStart, "map keys must be text strings")
                }
                let count = try length(keyLength, at: keyStart, max: limits.maxStringBytes, what: "key length")
                let keyBytes = try take(count, at: keyStart)
                if let previous {
                    let order = Self.compareKeys(previous, keyBytes)
                    if order == 0 {
                        throw DAGCBORError(.duplicateMapKey, at: keyStart, "duplicate map key")
                    }
                    if order > 0 {
                        throw DAGCBORError(.unsortedMapKeys, at: keyStart, "map keys are not in canonical order")
                    }
                }
                previous = keyBytes
                guard let key = String(validating: keyBytes, as: UTF8.self) else {
                    throw DAGCBORError(.invalidUTF8, at: keyStart, "map key is not valid UTF-8")
                }
                map[key] = try decodeValue(depth: depth + 1)
            }
            return .map(map)
        case 6:
            guard value == 42 else {
                throw DAGCBORError(.unsupportedTag, at: start, "tag \(value) is not allowed; only 42 (CID)")
            }
            let innerStart = position
            let (innerMajor, _, innerLength, _) = try head()
            guard innerMajor == 2 else {
                throw DAGCBORError(.invalidLink, at: innerStart, "tag 42 must wrap a byte string")
            }
            let count = try length(innerLength, at: innerStart, max: 1024, what: "CID length")
            let bytes = try take(count, at: innerStart)
            guard count > 1, bytes[0] == 0 else {
                throw DAGCBORError(.invalidLink, at: innerStart, "CID link must start with the 0x00 multibase prefix")
            }
            do {
                return .link(try CID(bytes: UnsafeBufferPointer(rebasing: bytes[1...])))
            } catch {
                throw DAGCBORError(.invalidLink, at: innerStart, error.description)
            }
        default:  // 7
            switch info {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22: return .null
            case 25, 26, 27:
                throw DAGCBORError(.floatNotAllowed, at: start, "floats are not allowed in the atproto data model")
            case 23:
                throw DAGCBORError(.unsupportedSimpleValue, at: start, "undefined is not allowed")
            default:
                throw DAGCBORError(.unsupportedSimpleValue, at: start, "simple value \(value) is not allowed")
            }
        }
    }

    /// Length-first, then bytewise comparison of two encoded keys.
    @inline(__always)
    static func compareKeys(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        if a.count != b.count { return a.count < b.count ? -1 : 1 }
        for i in 0..<a.count where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        return 0
    }
}
