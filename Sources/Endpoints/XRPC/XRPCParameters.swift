import Hummingbird

/// Typed access to an XRPC call's query parameters. Every failure is a 400 `InvalidRequest`
/// naming the parameter.
public struct XRPCParameters: Sendable {
    private let values: [(name: Substring, value: Substring)]

    public init(_ request: Request) {
        self.values = request.uri.queryParameters.map { ($0.key, $0.value) }
    }

    /// Every value given for `name`, in order (array parameters repeat the name).
    public func all(_ name: String) -> [String] {
        values.lazy.filter { $0.name == name }.map { String($0.value) }
    }

    /// The value of `name`, or nil when absent or empty (as the reference treats empty values).
    public func string(_ name: String) -> String? {
        guard let value = values.first(where: { $0.name == name })?.value, !value.isEmpty else { return nil }
        return String(value)
    }

    public func requiredString(_ name: String) throws -> String {
        guard let value = string(name) else {
            throw XRPCError.invalidRequest("Params must have the property \"\(name)\"")
        }
        return value
    }

    /// An integer parameter, checked against `range` when given.
    public func int(_ name: String, range: ClosedRange<Int>? = nil) throws -> Int? {
        guard let raw = string(name) else { return nil }
        guard let value = Int(raw) else {
            throw XRPCError.invalidRequest("\(name) must be an integer")
        }
        if let range {
            if value < range.lowerBound {
                throw XRPCError.invalidRequest("\(name) can not be less than \(range.lowerBound)")
            }
            if value > range.upperBound {
                throw XRPCError.invalidRequest("\(name) can not be greater than \(range.upperBound)")
            }
        }
        return value
    }

    public func int(_ name: String, default defaultValue: Int, range: ClosedRange<Int>? = nil) throws -> Int {
        try int(name, range: range) ?? defaultValue
    }

    public func requiredInt(_ name: String, range: ClosedRange<Int>? = nil) throws -> Int {
        guard let value = try int(name, range: range) else {
            throw XRPCError.invalidRequest("Params must have the property \"\(name)\"")
        }
        return value
    }

    /// A boolean parameter: `true` or `false`.
    public func bool(_ name: String) throws -> Bool? {
        guard let raw = string(name) else { return nil }
        switch raw {
        case "true": return true
        case "false": return false
        default: throw XRPCError.invalidRequest("\(name) must be a boolean")
        }
    }

    public func bool(_ name: String, default defaultValue: Bool) throws -> Bool {
        try bool(name) ?? defaultValue
    }

    /// Whether `name` appears at all, even without a value (`?verbose`).
    public func contains(_ name: String) -> Bool {
        values.contains { $0.name == name }
    }
}

extension Request {
    /// The query parameters of this XRPC call.
    public var xrpcParameters: XRPCParameters { XRPCParameters(self) }
}
