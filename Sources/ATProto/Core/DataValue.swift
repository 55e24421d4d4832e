/// A value of the atproto data model: what DAG-CBOR and atproto JSON both encode.
///
/// Maps have string keys only; integers are signed 64-bit; there are no floats. `bytes` and `link` are the
/// two types JSON spells as `{"$bytes": ...}` and `{"$link": ...}`.
public enum DataValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case bytes([UInt8])
    case link(CID)
    case array([DataValue])
    case map([String: DataValue])
}

// MARK: - Accessors

extension DataValue {
    /// The value under `key` when this is a map, else nil.
    public subscript(key: String) -> DataValue? {
        if case .map(let map) = self { return map[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int64? {
        if case .int(let i) = self { return i }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var bytesValue: [UInt8]? {
        if case .bytes(let b) = self { return b }
        return nil
    }

    public var linkValue: CID? {
        if case .link(let c) = self { return c }
        return nil
    }

    public var arrayValue: [DataValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var mapValue: [String: DataValue]? {
        if case .map(let m) = self { return m }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The name of the data model type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .string: "string"
        case .bytes: "bytes"
        case .link: "cid-link"
        case .array: "array"
        case .map: "object"
        }
    }
}

// MARK: - Literals

extension DataValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: DataValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, DataValue)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
