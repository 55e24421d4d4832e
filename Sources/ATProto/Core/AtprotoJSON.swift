/// atproto's JSON representation of the data model: `{"$link": "<cid>"}` for links, `{"$bytes": "<base64>"}`
/// for bytes, integers only (an integral number such as `123.0` reads as `123`; anything fractional is refused).
///
/// The parser is our own, over UTF-8 bytes, so that it can be strict (no duplicate keys, no lone surrogates,
/// no floats), bounded (depth and size) and produce `DataValue` directly.
public enum AtprotoJSON {
    public struct Limits: Sendable, Equatable {
        public var maxDepth: Int
        public var maxInputBytes: Int

        public init(maxDepth: Int = 64, maxInputBytes: Int = 16 << 20) {
            self.maxDepth = maxDepth
            self.maxInputBytes = maxInputBytes
        }

        public static let `default` = Limits()
    }

    /// Parses any JSON value into the data model (no data-model rules beyond `$link`/`$bytes`).
    public static func parse(_ bytes: some Collection<UInt8>, limits: Limits = .default) throws(AtprotoJSONError) -> DataValue {
        guard bytes.count <= limits.maxInputBytes else {
            throw AtprotoJSONError("input of \(bytes.count) bytes exceeds \(limits.maxInputBytes)", at: 0)
        }
        let array = Array(bytes)
        let result: Result<DataValue, AtprotoJSONError> = array.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(buffer: buffer, maxDepth: limits.maxDepth)
            do throws(AtprotoJSONError) {
                parser.skipWhitespace()
                let value = try parser.parseValue(depth: 0)
                parser.skipWhitespace()
                guard parser.position == buffer.count else {
                    throw AtprotoJSONError("unexpected data after the JSON value", at: parser.position)
                }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses a JSON object that must satisfy the data model's rules (`DataValue.validateDataModel()`):
    /// what a record or a request body must be.
    public static func parseObject(_ bytes: some Collection<UInt8>, limits: Limits = .default) throws(AtprotoJSONError) -> [String: DataValue] {
        let value = try parse(bytes, limits: limits)
        guard case .map(let map) = value else {
            throw AtprotoJSONError("expected a JSON object, found \(value.typeName)", at: 0)
        }
        do {
            try value.validateDataModel()
        } catch {
            throw AtprotoJSONError(error.description, at: 0)
        }
        return map
    }

    public static func parse(_ string: String, limits: Limits = .default) throws(AtprotoJSONError) -> DataValue {
        try parse(Array(string.utf8), limits: limits)
    }

    /// Serializes `value` as compact JSON with object keys in bytewise order (deterministic output).
    public static func serialize(_ value: DataValue) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    public static func serializeString(_ value: DataValue) -> String {
        String(decoding: serialize(value), as: UTF8.self)
    }

    // MARK: Writing

    static func write(_ value: DataValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .string(let s): writeString(s, into: &out)
        case .bytes(let b):
            out.append(contentsOf: #"{"$bytes":""#.utf8)
            out.append(contentsOf: Multibase.base64Encode(b, padded: false).utf8)
            out.append(contentsOf: #""}"#.utf8)
        case .link(let cid):
            out.append(contentsOf: #"{"$link":""#.utf8)
            out.append(contentsOf: cid.string.utf8)
            out.append(contentsOf: #""}"#.utf8)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .map(let map):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, item) in map.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0a: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0d: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xf)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Why a JSON input was refused.
public struct AtprotoJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let offset: Int

    public init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { offset > 0 ? "\(message) (at byte \(offset))" : message }
}

extension DataValue {
    /// This value as atproto JSON bytes.
    public var json: [UInt8] { AtprotoJSON.serialize(self) }
}
