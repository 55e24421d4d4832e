/// A reference to a blob inside a record: `{"$type": "blob", "ref": <raw CID link>, "mimeType": ..., "size": ...}`.
/// The legacy form `{"cid": "...", "mimeType": "..."}` is read but never written.
public struct BlobRef: Hashable, Sendable {
    public var ref: CID
    public var mimeType: String
    /// Size in bytes; nil only for legacy references.
    public var size: Int64?

    public init(ref: CID, mimeType: String, size: Int64) {
        self.ref = ref
        self.mimeType = mimeType
        self.size = size
    }

    /// Reads a blob reference (current or legacy form) from a data-model value.
    public init?(_ value: DataValue) {
        guard case .map(let map) = value else { return nil }
        if map["$type"]?.stringValue == "blob" {
            guard (try? Self.validate(map, path: "")) != nil,
                let ref = map["ref"]?.linkValue, let mime = map["mimeType"]?.stringValue,
                let size = map["size"]?.intValue
            else { return nil }
            self.ref = ref
            self.mimeType = mime
            self.size = size
            return
        }
        guard map.count == 2, let cidString = map["cid"]?.stringValue, let mime = map["mimeType"]?.stringValue,
            let cid = try? CID(string: cidString)
        else { return nil }
        self.ref = cid
        self.mimeType = mime
        self.size = nil
    }

    /// The current (typed) form.
    public var dataValue: DataValue {
        .map(["$type": .string("blob"), "ref": .link(ref), "mimeType": .string(mimeType), "size": .int(size ?? 0)])
    }

    static func validate(_ map: [String: DataValue], path: String) throws(DataModelError) {
        guard case .link = map["ref"] else { throw DataModelError(path: path, "blob ref must be a CID link") }
        guard case .string = map["mimeType"] else { throw DataModelError(path: path, "blob mimeType must be a string") }
        guard case .int(let size) = map["size"] else { throw DataModelError(path: path, "blob size must be an integer") }
        guard size >= 0 else { throw DataModelError(path: path, "blob size must not be negative") }
    }

    /// Every blob reference anywhere inside `value`.
    public static func all(in value: DataValue) -> [BlobRef] {
        var found: [BlobRef] = []
        collect(value, into: &found)
        return found
    }

    private static func collect(_ value: DataValue, into found: inout [BlobRef]) {
        switch value {
        case .map(let map):
            if let blob = BlobRef(value) {
                found.append(blob)
                return
            }
            for item in map.values { collect(item, into: &found) }
        case .array(let items):
            for item in items { collect(item, into: &found) }
        default:
            return
        }
    }
}
