/// A violation of the atproto data model's structural rules.
public struct DataModelError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

extension DataValue {
    /// Checks the data model's rules that go beyond the type system: `$type` is a non-empty string where
    /// present, and `$type: "blob"` objects have a raw CID `ref`, a string `mimeType` and an integer `size`.
    public func validateDataModel(path: String = "") throws(DataModelError) {
        switch self {
        case .array(let items):
            for (i, item) in items.enumerated() { try item.validateDataModel(path: "\(path)/\(i)") }
        case .map(let map):
            if let type = map["$type"] {
                guard case .string(let s) = type else {
                    throw DataModelError(path: path, "$type must be a string, found \(type.typeName)")
                }
                guard !s.isEmpty else { throw DataModelError(path: path, "$type must not be empty") }
                if s == "blob" { try BlobRef.validate(map, path: path) }
            }
            for (key, item) in map { try item.validateDataModel(path: "\(path)/\(key)") }
        default:
            return
        }
    }
}
