/// One `permission` of a permission set: a resource type (`repo`, `rpc`, ...) and its parameters, kept as
/// data (strings, integers, booleans, or arrays of those) since the set of resources evolves.
public struct LexiconPermission: Hashable, Sendable {
    public var resource: String
    /// Every field other than `type` and `resource` (`collection`, `action`, `lxm`, `aud`, `inheritAud`...).
    public var parameters: [String: DataValue]

    public init(resource: String, parameters: [String: DataValue] = [:]) {
        self.resource = resource
        self.parameters = parameters
    }

    /// The string values of an array parameter (`collection`, `action`, `lxm`), or nil.
    public func strings(_ name: String) -> [String]? {
        guard case .array(let items) = parameters[name] else { return nil }
        return items.compactMap(\.stringValue)
    }
}
