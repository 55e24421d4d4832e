/// Checks data-model values against Lexicon schemas, resolving references through a registry.
///
/// The current path is kept as a stack of components and only joined when an error is thrown, so valid
/// data costs no string building.
struct LexiconValidator {
    let registry: LexiconRegistry
    private var path: [String]

    init(registry: LexiconRegistry, root: String) {
        self.registry = registry
        self.path = [root]
    }

    // MARK: Dispatch

    mutating func validate(_ value: DataValue, _ schema: LexiconSchema) throws(LexiconValidationError) {
        switch schema {
        case .boolean(let boolean): try validateBoolean(boolean, value)
        case .integer(let integer): try validateInteger(integer, value)
        case .string(let string): try validateString(string, value)
        case .bytes(let bytes): try validateBytes(bytes, value)
        case .cidLink:
            guard case .link = value else { throw invalid("must be a CID") }
        case .blob(let blob): try validateBlob(blob, value)
        case .array(let array): try validateArray(array, value)
        case .object(let object), .params(let object):
            guard case .map(let map) = value else { throw invalid("must be an object") }
            try validateObject(object, map)
        case .ref(let target):
            try validate(value, try resolve(target))
        case .union(let union): try validateUnion(union, value)
        case .unknown:
            guard case .map(let map) = value else { throw invalid("must be an object") }
            if case .string("blob") = map["$type"] { throw invalid("must be an object, not a blob") }
        case .token, .record, .query, .procedure, .subscription, .permissionSet:
            throw invalid("can not be validated against a \(schema.typeName) definition")
        }
    }

    /// The data schema a reference names: a record's object for a record, the definition itself for data types.
    private func resolve(_ target: String) throws(LexiconValidationError) -> LexiconSchema {
        guard let definition = registry.definitions[target] else {  // targets are absolute already
            throw LexiconValidationError(.unresolvedReference, path: joinedPath, "Lexicon not found: \(target)")
        }
        switch definition {
        case .record(let record):
            return .object(record.record)
        case .token, .query, .procedure, .subscription, .permissionSet, .params:
            throw LexiconValidationError(
                .unresolvedReference, path: joinedPath,
                "references \(target), a \(definition.typeName) definition, which can not describe data")
        default:
            return definition
        }
    }

    // MARK: Containers

    mutating func validateObject(_ object: LexiconObject, _ map: [String: DataValue]) throws(LexiconValidationError) {
        for name in object.propertyNames {
            guard let schema = object.properties[name] else { continue }
            guard let item = map[name] else {
                if object.required.contains(name) { throw invalid("must have the property \"\(name)\"") }
                continue
            }
            if case .null = item, object.nullable.contains(name) { continue }
            path.append(name)
            try validate(item, schema)
            path.removeLast()
        }
    }

    private mutating func validateArray(_ array: LexiconArray, _ value: DataValue) throws(LexiconValidationError) {
        guard case .array(let items) = value else { throw invalid("must be an array") }
        if let maxLength = array.maxLength, items.count > maxLength {
            throw invalid("must not have more than \(maxLength) elements")
        }
        if let minLength = array.minLength, items.count < minLength {
            throw invalid("must not have fewer than \(minLength) elements")
        }
        for (index, item) in items.enumerated() {
            path.append(String(index))
            try validate(item, array.items)
            path.removeLast()
        }
    }

    private mutating func validateUnion(_ union: LexiconUnion, _ value: DataValue) throws(LexiconValidationError) {
        guard case .map = value, case .string(let type) = value["$type"] else {
            throw invalid("must be an object which includes the \"$type\" property")
        }
        guard let variant = union.variant(named: type) else {
            if union.closed {
                let names = union.refs.map { $0.hasSuffix("#main") ? String($0.dropLast(5)) : $0 }
                throw invalid("$type must be one of \(names.joined(separator: ", ")), found \(type)")
            }
            return  // an open union accepts variants it does not know
        }
        try validate(value, try resolve(variant))
    }

    // MARK: Scalars

    private func validateBoolean(_ boolean: LexiconBoolean, _ value: DataValue) throws(LexiconValidationError) {
        guard case .bool(let bool) = value else { throw invalid("must be a boolean") }
        if let constValue = boolean.constValue, bool != constValue { throw invalid("must be \(constValue)") }
    }

    private func validateInteger(_ integer: LexiconInteger, _ value: DataValue) throws(LexiconValidationError) {
        guard case .int(let int) = value else { throw invalid("must be an integer") }
        if let constValue = integer.constValue, int != constValue { throw invalid("must be \(constValue)") }
        if let enumValues = integer.enumValues, !enumValues.contains(int) {
            throw invalid("must be one of (\(enumValues.map(String.init).joined(separator: "|")))")
        }
        if let maximum = integer.maximum, int > maximum { throw invalid("can not be greater than \(maximum)") }
        if let minimum = integer.minimum, int < minimum { throw invalid("can not be less than \(minimum)") }
    }

    private func validateString(_ schema: LexiconString, _ value: DataValue) throws(LexiconValidationError) {
        guard case .string(let string) = value else { throw invalid("must be a string") }
        if let constValue = schema.constValue, string != constValue { throw invalid("must be \(constValue)") }
        if let enumValues = schema.enumValues, !enumValues.contains(string) {
            throw invalid("must be one of (\(enumValues.joined(separator: "|")))")
        }
        let utf8Count = string.utf8.count
        if let maxLength = schema.maxLength, utf8Count > maxLength {
            throw invalid("must not be longer than \(maxLength) characters")
        }
        if let minLength = schema.minLength, utf8Count < minLength {
            throw invalid("must not be shorter than \(minLength) characters")
        }
        // A string has at most as many grapheme clusters as UTF-8 bytes: count them only when needed.
        if let maxGraphemes = schema.maxGraphemes, utf8Count > maxGraphemes, string.count > maxGraphemes {
            throw invalid("must not be longer than \(maxGraphemes) graphemes")
        }
        if let minGraphemes = schema.minGraphemes, utf8Count < minGraphemes || string.count < minGraphemes {
            throw invalid("must not be shorter than \(minGraphemes) graphemes")
        }
        if let format = schema.format, !format.isValid(string) {
            throw invalid("must be \(format.requirement)")
        }
    }

    private func validateBytes(_ schema: LexiconBytes, _ value: DataValue) throws(LexiconValidationError) {
        guard case .bytes(let bytes) = value else { throw invalid("must be a byte array") }
        if let maxLength = schema.maxLength, bytes.count > maxLength {
            throw invalid("must not be larger than \(maxLength) bytes")
        }
        if let minLength = schema.minLength, bytes.count < minLength {
            throw invalid("must not be smaller than \(minLength) bytes")
        }
    }

    private static let blobKeys: Set<String> = ["$type", "ref", "mimeType", "size"]

    private func validateBlob(_ schema: LexiconBlob, _ value: DataValue) throws(LexiconValidationError) {
        guard case .map(let map) = value, case .string("blob") = map["$type"], case .link = map["ref"],
            case .string(let mimeType) = map["mimeType"], mimeType.utf8.contains(UInt8(ascii: "/")),
            case .int(let size) = map["size"], size >= 0,
            map.keys.allSatisfy({ Self.blobKeys.contains($0) })
        else {
            throw invalid("must be a blob ref ({\"$type\": \"blob\", \"ref\", \"mimeType\", \"size\"})")
        }
        if !schema.accepts(mimeType: mimeType) {
            throw invalid(
                "has mimeType \(mimeType), which is not accepted (accepted: \((schema.accept ?? []).joined(separator: ", ")))"
            )
        }
        if let maxSize = schema.maxSize, size > maxSize {
            throw invalid("is too big (\(size) bytes, maximum \(maxSize))")
        }
    }

    // MARK: Errors

    private var joinedPath: String { path.joined(separator: "/") }

    private func invalid(_ message: String) -> LexiconValidationError {
        LexiconValidationError(.invalidData, path: joinedPath, message)
    }
}
