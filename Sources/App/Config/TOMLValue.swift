/// A value from the small TOML subset `pds` reads.
enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case stringArray([String])

    /// The TOML type name used in error messages.
    var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .boolean: "boolean"
        case .stringArray: "array of strings"
        }
    }
}
