/// Turns the JSON (data model) form of Lexicon definitions into `LexiconSchema` values, checking each
/// schema against the Lexicon language and where the spec allows its type to appear.
struct LexiconSchemaParser {
    /// The NSID of the document being parsed, for resolving local `#name` references.
    let documentID: String

    /// Where a schema appears, which decides the types it may have.
    enum Position: Equatable {
        case definition(main: Bool)
        /// An object property or an array item.
        case field
        case paramsProperty
        case paramsItem
        /// The `schema` of an XRPC input or output.
        case body
        /// The `schema` of a subscription message.
        case message
        /// The `record` of a record definition.
        case recordObject

        var allowedTypes: [String] {
            switch self {
            case .definition(let main):
                let plain = ["boolean", "integer", "string", "bytes", "cid-link", "blob", "array", "object", "token"]
                return main ? plain + Self.primaryTypes : plain
            case .field:
                return [
                    "boolean", "integer", "string", "bytes", "cid-link", "blob", "array", "object", "ref", "union",
                    "unknown",
                ]
            case .paramsProperty:
                return ["boolean", "integer", "string", "unknown", "array"]
            case .paramsItem:
                return ["boolean", "integer", "string", "unknown"]
            case .body:
                return ["object", "ref", "union"]
            case .message:
                return ["union"]
            case .recordObject:
                return ["object"]
            }
        }

        static let primaryTypes = ["record", "query", "procedure", "subscription", "permission-set"]
    }

    // MARK: Definitions

    func parseDefinition(name: String, _ value: DataValue, path: String) throws(LexiconDocumentError) -> LexiconSchema {
        guard !name.isEmpty, !name.utf8.contains(UInt8(ascii: "#")) else {
            throw LexiconDocumentError(path: path, "definition names must be non-empty and must not contain '#'")
        }
        let type = try typeName(of: value, path: path)
        if name != "main", Position.primaryTypes.contains(type) {
            throw LexiconDocumentError(path: path, "a \(type) definition must be the main definition (named \"main\")")
        }
        if ["ref", "union", "unknown", "params", "permission"].contains(type) {
            throw LexiconDocumentError(path: path, "type \"\(type)\" can not be a named definition")
        }
        return try parse(value, at: .definition(main: name == "main"), path: path)
    }

    func parse(_ value: DataValue, at position: Position, path: String) throws(LexiconDocumentError) -> LexiconSchema {
        let type = try typeName(of: value, path: path)
        guard position.allowedTypes.contains(type) else {
            throw LexiconDocumentError(
                path: path,
                "type \"\(type)\" is not allowed here (expected \(position.allowedTypes.joined(separator: ", ")))")
        }
        guard case .map(let map) = value else { throw LexiconDocumentError(path: path, "must be an object") }
        let fields = Fields(map: map, path: path)
        switch type {
        case "boolean":
            let schema = LexiconBoolean(defaultValue: try fields.bool("default"), constValue: try fields.bool("const"))
            try exclusive(schema.defaultValue != nil, schema.constValue != nil, path: path)
            return .boolean(schema)
        case "integer":
            let schema = LexiconInteger(
                minimum: try fields.int("minimum"), maximum: try fields.int("maximum"),
                enumValues: try fields.intArray("enum"), defaultValue: try fields.int("default"),
                constValue: try fields.int("const"))
            try exclusive(schema.defaultValue != nil, schema.constValue != nil, path: path)
            return .integer(schema)
        case "string":
            return .string(try parseString(fields))
        case "bytes":
            return .bytes(
                LexiconBytes(minLength: try fields.count("minLength"), maxLength: try fields.count("maxLength")))
        case "cid-link":
            return .cidLink
        case "blob":
            return .blob(try parseBlob(fields))
        case "array":
            let itemPosition: Position = position == .paramsProperty ? .paramsItem : .field
            guard let items = map["items"] else { throw LexiconDocumentError(path: path + "/items", "is required") }
            return .array(
                LexiconArray(
                    items: try parse(items, at: itemPosition, path: path + "/items"),
                    minLength: try fields.count("minLength"), maxLength: try fields.count("maxLength")))
        case "object":
            return .object(try parseObject(fields, allowNullable: true))
        case "params":
            return .params(try parseObject(fields, allowNullable: false))
        case "token":
            return .token
        case "ref":
            guard let target = try fields.string("ref") else {
                throw LexiconDocumentError(path: path + "/ref", "is required")
            }
            return .ref(try absoluteReference(target, path: path + "/ref"))
        case "union":
            return .union(try parseUnion(fields))
        case "unknown":
            return .unknown
        case "record":
            return .record(try parseRecord(fields))
        case "query":
            return .query(try parseXRPC(fields, hasInput: false))
        case "procedure":
            return .procedure(try parseXRPC(fields, hasInput: true))
        case "subscription":
            return .subscription(try parseSubscription(fields))
        case "permission-set":
            return .permissionSet(try parsePermissionSet(fields))
        default:
            throw LexiconDocumentError(path: path + "/type", "unknown type \"\(type)\"")
        }
    }

    // MARK: Types

    private func parseString(_ fields: Fields) throws(LexiconDocumentError) -> LexiconString {
        var format: LexiconStringFormat?
        if let name = try fields.string("format") {
            guard let known = LexiconStringFormat(rawValue: name) else {
                throw LexiconDocumentError(path: fields.path + "/format", "unknown string format \"\(name)\"")
            }
            format = known
        }
        let schema = LexiconString(
            format: format, minLength: try fields.count("minLength"), maxLength: try fields.count("maxLength"),
            minGraphemes: try fields.count("minGraphemes"), maxGraphemes: try fields.count("maxGraphemes"),
            knownValues: try fields.stringArray("knownValues"), enumValues: try fields.stringArray("enum"),
            defaultValue: try fields.string("default"), constValue: try fields.string("const"))
        try exclusive(schema.defaultValue != nil, schema.constValue != nil, path: fields.path)
        return schema
    }

    private func parseBlob(_ fields: Fields) throws(LexiconDocumentError) -> LexiconBlob {
        let accept = try fields.stringArray("accept")
        for (index, pattern) in (accept ?? []).enumerated() {
            guard Self.isMIMEPattern(pattern) else {
                throw LexiconDocumentError(
                    path: "\(fields.path)/accept/\(index)",
                    "\"\(pattern)\" is not a MIME type pattern (type/subtype, type/* or */*)")
            }
        }
        var maxSize: Int64?
        if let size = try fields.int("maxSize") {
            guard size >= 0 else { throw LexiconDocumentError(path: fields.path + "/maxSize", "must not be negative") }
            maxSize = size
        }
        return LexiconBlob(accept: accept, maxSize: maxSize)
    }

    static func isMIMEPattern(_ pattern: String) -> Bool {
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        if pattern == "*/*" { return true }
        return !parts[0].utf8.contains(UInt8(ascii: "*"))
            && (parts[1] == "*" || !parts[1].utf8.contains(UInt8(ascii: "*")))
    }

    private func parseObject(_ fields: Fields, allowNullable: Bool) throws(LexiconDocumentError) -> LexiconObject {
        guard let propertiesValue = fields.map["properties"] else {
            throw LexiconDocumentError(path: fields.path + "/properties", "is required")
        }
        guard case .map(let propertyMap) = propertiesValue else {
            throw LexiconDocumentError(
                path: fields.path + "/properties", "must be an object, found \(propertiesValue.typeName)")
        }
        let propertyPosition: Position = allowNullable ? .field : .paramsProperty
        var properties: [String: LexiconSchema] = [:]
        for name in propertyMap.keys.sorted() {
            guard let property = propertyMap[name] else { continue }
            properties[name] = try parse(property, at: propertyPosition, path: "\(fields.path)/properties/\(name)")
        }
        let required = try fields.stringArray("required") ?? []
        for (index, name) in required.enumerated() where properties[name] == nil {
            throw LexiconDocumentError(
                path: "\(fields.path)/required/\(index)", "required property \"\(name)\" is not defined in properties")
        }
        var nullable: [String] = []
        if allowNullable {
            nullable = try fields.stringArray("nullable") ?? []
        }
        return LexiconObject(properties: properties, required: Set(required), nullable: Set(nullable))
    }

    private func parseUnion(_ fields: Fields) throws(LexiconDocumentError) -> LexiconUnion {
        guard let refs = try fields.stringArray("refs") else {
            throw LexiconDocumentError(path: fields.path + "/refs", "is required")
        }
        var absolute: [String] = []
        for (index, ref) in refs.enumerated() {
            absolute.append(try absoluteReference(ref, path: "\(fields.path)/refs/\(index)"))
        }
        let closed = try fields.bool("closed") ?? false
        if closed, absolute.isEmpty {
            throw LexiconDocumentError(path: fields.path + "/refs", "a closed union must list at least one ref")
        }
        return LexiconUnion(refs: absolute, closed: closed)
    }

    private func parseRecord(_ fields: Fields) throws(LexiconDocumentError) -> LexiconRecord {
        guard let keyString = try fields.string("key") else {
            throw LexiconDocumentError(path: fields.path + "/key", "is required")
        }
        guard let key = LexiconRecordKeyType(keyString) else {
            throw LexiconDocumentError(
                path: fields.path + "/key",
                "\"\(keyString)\" is not a record key type (tid, nsid, any or literal:<key>)")
        }
        guard let recordValue = fields.map["record"] else {
            throw LexiconDocumentError(path: fields.path + "/record", "is required")
        }
        guard case .object(let object) = try parse(recordValue, at: .recordObject, path: fields.path + "/record") else {
            throw LexiconDocumentError(path: fields.path + "/record", "must be an object schema")
        }
        return LexiconRecord(key: key, record: object)
    }

    private func parseParameters(_ fields: Fields) throws(LexiconDocumentError) -> LexiconObject? {
        guard let value = fields.map["parameters"] else { return nil }
        let path = fields.path + "/parameters"
        guard case .map(let map) = value else {
            throw LexiconDocumentError(path: path, "must be an object, found \(value.typeName)")
        }
        let type = try typeName(of: value, path: path)
        guard type == "params" else {
            throw LexiconDocumentError(path: path + "/type", "must be \"params\", found \"\(type)\"")
        }
        return try parseObject(Fields(map: map, path: path), allowNullable: false)
    }

    private func parseBody(_ fields: Fields, _ key: String) throws(LexiconDocumentError) -> LexiconXRPCBody? {
        guard let value = fields.map[key] else { return nil }
        let path = "\(fields.path)/\(key)"
        guard case .map(let map) = value else {
            throw LexiconDocumentError(path: path, "must be an object, found \(value.typeName)")
        }
        let body = Fields(map: map, path: path)
        guard let encoding = try body.string("encoding") else {
            throw LexiconDocumentError(path: path + "/encoding", "is required")
        }
        var schema: LexiconSchema?
        if let schemaValue = map["schema"] {
            schema = try parse(schemaValue, at: .body, path: path + "/schema")
        }
        return LexiconXRPCBody(encoding: encoding, schema: schema)
    }

    private func parseErrors(_ fields: Fields) throws(LexiconDocumentError) -> [String] {
        guard let value = fields.map["errors"] else { return [] }
        guard case .array(let items) = value else {
            throw LexiconDocumentError(path: fields.path + "/errors", "must be an array, found \(value.typeName)")
        }
        var names: [String] = []
        for (index, item) in items.enumerated() {
            let path = "\(fields.path)/errors/\(index)"
            guard case .map(let map) = item else { throw LexiconDocumentError(path: path, "must be an object") }
            guard let name = try Fields(map: map, path: path).string("name") else {
                throw LexiconDocumentError(path: path + "/name", "is required")
            }
            names.append(name)
        }
        return names
    }

    private func parseXRPC(_ fields: Fields, hasInput: Bool) throws(LexiconDocumentError) -> LexiconXRPC {
        LexiconXRPC(
            parameters: try parseParameters(fields),
            input: hasInput ? try parseBody(fields, "input") : nil,
            output: try parseBody(fields, "output"),
            errors: try parseErrors(fields))
    }

    private func parseSubscription(_ fields: Fields) throws(LexiconDocumentError) -> LexiconSubscription {
        let path = fields.path + "/message"
        guard let value = fields.map["message"] else { throw LexiconDocumentError(path: path, "is required") }
        guard case .map(let map) = value else {
            throw LexiconDocumentError(path: path, "must be an object, found \(value.typeName)")
        }
        guard let schemaValue = map["schema"] else { throw LexiconDocumentError(path: path + "/schema", "is required") }
        guard case .union(let union) = try parse(schemaValue, at: .message, path: path + "/schema") else {
            throw LexiconDocumentError(path: path + "/schema", "must be a union")
        }
        return LexiconSubscription(
            parameters: try parseParameters(fields), message: union, errors: try parseErrors(fields))
    }

    private func parsePermissionSet(_ fields: Fields) throws(LexiconDocumentError) -> LexiconPermissionSet {
        guard let value = fields.map["permissions"] else {
            throw LexiconDocumentError(path: fields.path + "/permissions", "is required")
        }
        guard case .array(let items) = value else {
            throw LexiconDocumentError(path: fields.path + "/permissions", "must be an array, found \(value.typeName)")
        }
        var permissions: [LexiconPermission] = []
        for (index, item) in items.enumerated() {
            permissions.append(try parsePermission(item, path: "\(fields.path)/permissions/\(index)"))
        }
        return LexiconPermissionSet(
            title: try fields.string("title"), titleLang: try languageMap(fields, "title:lang"),
            detail: try fields.string("detail"), detailLang: try languageMap(fields, "detail:lang"),
            permissions: permissions)
    }

    private func parsePermission(_ value: DataValue, path: String) throws(LexiconDocumentError) -> LexiconPermission {
        let type = try typeName(of: value, path: path)
        guard type == "permission" else {
            throw LexiconDocumentError(path: path + "/type", "must be \"permission\", found \"\(type)\"")
        }
        guard case .map(let map) = value else { throw LexiconDocumentError(path: path, "must be an object") }
        guard let resource = try Fields(map: map, path: path).string("resource"), !resource.isEmpty else {
            throw LexiconDocumentError(path: path + "/resource", "is required and must not be empty")
        }
        var parameters: [String: DataValue] = [:]
        for (key, parameter) in map where key != "type" && key != "resource" {
            guard Self.isPermissionParameter(parameter) else {
                throw LexiconDocumentError(
                    path: "\(path)/\(key)", "must be a string, integer, boolean, or an array of those")
            }
            parameters[key] = parameter
        }
        return LexiconPermission(resource: resource, parameters: parameters)
    }

    private static func isPermissionParameter(_ value: DataValue) -> Bool {
        switch value {
        case .string, .int, .bool: true
        case .array(let items):
            items.allSatisfy { item in
                switch item {
                case .string, .int, .bool: true
                default: false
                }
            }
        default: false
        }
    }

    private func languageMap(_ fields: Fields, _ key: String) throws(LexiconDocumentError) -> [String: String] {
        guard let value = fields.map[key] else { return [:] }
        let path = "\(fields.path)/\(key)"
        guard case .map(let map) = value else {
            throw LexiconDocumentError(path: path, "must be an object, found \(value.typeName)")
        }
        var result: [String: String] = [:]
        for (language, text) in map {
            guard LanguageTag.isValid(language) else {
                throw LexiconDocumentError(path: "\(path)/\(language)", "is not a valid language tag")
            }
            guard case .string(let string) = text else {
                throw LexiconDocumentError(path: "\(path)/\(language)", "must be a string, found \(text.typeName)")
            }
            result[language] = string
        }
        return result
    }

    // MARK: Helpers

    private func typeName(of value: DataValue, path: String) throws(LexiconDocumentError) -> String {
        guard case .map(let map) = value else {
            throw LexiconDocumentError(path: path, "a schema must be an object, found \(value.typeName)")
        }
        guard let type = map["type"] else { throw LexiconDocumentError(path: path + "/type", "is required") }
        guard case .string(let name) = type else {
            throw LexiconDocumentError(path: path + "/type", "must be a string, found \(type.typeName)")
        }
        return name
    }

    private func exclusive(_ hasDefault: Bool, _ hasConst: Bool, path: String) throws(LexiconDocumentError) {
        if hasDefault && hasConst {
            throw LexiconDocumentError(path: path, "\"const\" and \"default\" are mutually exclusive")
        }
    }

    /// `#name` → `<document>#name`; `nsid` → `nsid#main`; `nsid#name` unchanged.
    func absoluteReference(_ ref: String, path: String) throws(LexiconDocumentError) -> String {
        let parts = ref.split(separator: "#", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw LexiconDocumentError(path: path, "\"\(ref)\" has more than one '#'") }
        let nsid = parts[0].isEmpty ? documentID : String(parts[0])
        let name = parts.count == 2 ? String(parts[1]) : "main"
        guard !name.isEmpty, NSID.isValid(nsid) else {
            throw LexiconDocumentError(path: path, "\"\(ref)\" is not a reference (nsid, nsid#name or #name)")
        }
        return "\(nsid)#\(name)"
    }

    /// A short rendering of a value for error messages.
    static func show(_ value: DataValue) -> String {
        switch value {
        case .string(let s): "\"\(s)\""
        case .int(let i): String(i)
        case .bool(let b): String(b)
        default: value.typeName
        }
    }
}

extension LexiconSchemaParser {
    /// Typed access to the fields of one schema object, with errors that name the field's path.
    struct Fields {
        let map: [String: DataValue]
        let path: String

        func string(_ key: String) throws(LexiconDocumentError) -> String? {
            guard let value = map[key] else { return nil }
            guard case .string(let string) = value else { throw mismatch(key, "a string", value) }
            return string
        }

        func bool(_ key: String) throws(LexiconDocumentError) -> Bool? {
            guard let value = map[key] else { return nil }
            guard case .bool(let bool) = value else { throw mismatch(key, "a boolean", value) }
            return bool
        }

        func int(_ key: String) throws(LexiconDocumentError) -> Int64? {
            guard let value = map[key] else { return nil }
            guard case .int(let int) = value else { throw mismatch(key, "an integer", value) }
            return int
        }

        /// A length or count: a non-negative integer.
        func count(_ key: String) throws(LexiconDocumentError) -> Int? {
            guard let value = try int(key) else { return nil }
            guard value >= 0, let count = Int(exactly: value) else {
                throw LexiconDocumentError(path: "\(path)/\(key)", "must be a non-negative integer")
            }
            return count
        }

        func stringArray(_ key: String) throws(LexiconDocumentError) -> [String]? {
            guard let value = map[key] else { return nil }
            guard case .array(let items) = value else { throw mismatch(key, "an array of strings", value) }
            var strings: [String] = []
            for (index, item) in items.enumerated() {
                guard case .string(let string) = item else { throw mismatch("\(key)/\(index)", "a string", item) }
                strings.append(string)
            }
            return strings
        }

        func intArray(_ key: String) throws(LexiconDocumentError) -> [Int64]? {
            guard let value = map[key] else { return nil }
            guard case .array(let items) = value else { throw mismatch(key, "an array of integers", value) }
            var ints: [Int64] = []
            for (index, item) in items.enumerated() {
                guard case .int(let int) = item else { throw mismatch("\(key)/\(index)", "an integer", item) }
                ints.append(int)
            }
            return ints
        }

        private func mismatch(_ key: String, _ expected: String, _ value: DataValue) -> LexiconDocumentError {
            LexiconDocumentError(path: "\(path)/\(key)", "must be \(expected), found \(value.typeName)")
        }
    }
}
