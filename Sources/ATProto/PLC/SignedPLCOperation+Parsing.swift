extension SignedPLCOperation {
    private static let fieldNames: Set<String> = [
        "type", "rotationKeys", "verificationMethods", "alsoKnownAs", "services", "prev", "sig",
    ]

    /// Reads a signed `plc_operation` from its data-model form. Checks the shape only (field presence and
    /// types, no unknown fields); use `verify(rotationKeys:)` for the signature and
    /// `operation.validate()` for the rules on new operations.
    public init(dataValue: DataValue) throws(PLCError) {
        guard case .map(let fields) = dataValue else {
            throw PLCError(.malformedOperation, "operation must be an object, got \(dataValue.typeName)")
        }
        if let unknown = fields.keys.sorted().first(where: { !Self.fieldNames.contains($0) }) {
            throw PLCError(.malformedOperation, "operation has an unknown field \"\(unknown)\"")
        }
        let type = try Self.string(fields["type"], "type")
        guard type == PLCOperation.type else {
            throw PLCError(.malformedOperation, "operation type must be \"\(PLCOperation.type)\", got \"\(type)\"")
        }
        let rotationKeys = try Self.strings(fields["rotationKeys"], "rotationKeys")
        let alsoKnownAs = try Self.strings(fields["alsoKnownAs"], "alsoKnownAs")
        guard case .map(let methodValues)? = fields["verificationMethods"] else {
            throw PLCError(.malformedOperation, "verificationMethods must be an object")
        }
        var verificationMethods: [String: String] = [:]
        for (name, value) in methodValues {
            verificationMethods[name] = try Self.string(value, "verificationMethods.\(name)")
        }
        guard case .map(let serviceValues)? = fields["services"] else {
            throw PLCError(.malformedOperation, "services must be an object")
        }
        var services: [String: PLCService] = [:]
        for (name, value) in serviceValues {
            guard case .map(let service) = value, Set(service.keys) == ["type", "endpoint"] else {
                throw PLCError(.malformedOperation, "services.\(name) must be an object with exactly type and endpoint")
            }
            services[name] = PLCService(
                type: try Self.string(service["type"], "services.\(name).type"),
                endpoint: try Self.string(service["endpoint"], "services.\(name).endpoint")
            )
        }
        let prev: String?
        switch fields["prev"] {
        case .null?: prev = nil
        case .string(let s)?: prev = s
        case nil: throw PLCError(.malformedOperation, "operation must have a prev field (null for genesis)")
        default: throw PLCError(.malformedOperation, "prev must be a string or null")
        }
        self.init(
            operation: PLCOperation(
                rotationKeys: rotationKeys,
                verificationMethods: verificationMethods,
                alsoKnownAs: alsoKnownAs,
                services: services,
                prev: prev
            ),
            sig: try Self.string(fields["sig"], "sig")
        )
    }

    /// Reads a signed `plc_operation` from JSON.
    public init(json: some Collection<UInt8>) throws(PLCError) {
        let value: DataValue
        do {
            value = try AtprotoJSON.parse(json)
        } catch {
            throw PLCError(.malformedOperation, "operation is not valid JSON: \(error)")
        }
        try self.init(dataValue: value)
    }

    private static func string(_ value: DataValue?, _ field: String) throws(PLCError) -> String {
        guard case .string(let s)? = value else {
            throw PLCError(.malformedOperation, "\(field) must be a string")
        }
        return s
    }

    private static func strings(_ value: DataValue?, _ field: String) throws(PLCError) -> [String] {
        guard case .array(let items)? = value else {
            throw PLCError(.malformedOperation, "\(field) must be an array of strings")
        }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            out.append(try string(item, "\(field)[\(index)]"))
        }
        return out
    }
}
