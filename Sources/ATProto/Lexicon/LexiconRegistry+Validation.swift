// MARK: - Record validation

extension LexiconRegistry {
    /// Validates a record for `collection` stored under `rkey`, as a PDS does before a write.
    ///
    /// - Returns: `.unknown` when no record schema is known for `collection` (nothing is checked), or
    ///   `.valid` when the record key fits the key type and `value` matches the schema.
    /// - Throws: `.invalidRecordKey` for a key that does not fit (`profile` requires `self`), `.invalidData`
    ///   with a path such as `Record/embed/images/0/alt` for data that does not match (including a
    ///   missing or different `$type`), `.unresolvedReference` when the schema set is incomplete.
    public func validateRecord(
        collection: String, value: DataValue, rkey: String
    ) throws(LexiconValidationError) -> LexiconValidationStatus {
        guard let record = record(collection) else { return .unknown }
        if let problem = record.key.violation(rkey) {
            throw LexiconValidationError(
                .invalidRecordKey, path: "", "Invalid record key for \(collection): \"\(rkey)\" \(problem)")
        }
        guard case .map(let map) = value else {
            throw LexiconValidationError(.invalidData, path: "Record", "must be an object")
        }
        guard case .string(let type) = map["$type"] else {
            throw LexiconValidationError(.invalidData, path: "Record/$type", "must be a string")
        }
        guard type == collection else {
            throw LexiconValidationError(.invalidData, path: "Record/$type", "must be \(collection), found \(type)")
        }
        var validator = LexiconValidator(registry: self, root: "Record")
        try validator.validateObject(record.record, map)
        return .valid
    }

    /// Validates a record the way `com.atproto.repo.createRecord`/`putRecord`/`applyWrites` do with their
    /// `validate` parameter (`PDS-REFERENCE.md` §3.8):
    /// - `false`: nothing is checked and the result is nil (the response omits `validationStatus`);
    /// - `nil` (not given): a known collection is validated (`.valid` or an error), an unknown one gives `.unknown`;
    /// - `true`: as `nil`, but an unknown collection is an error of kind `.unknownLexicon`.
    public func validateRecord(
        collection: String, value: DataValue, rkey: String, validate: Bool?
    ) throws(LexiconValidationError) -> LexiconValidationStatus? {
        if validate == false { return nil }
        let status = try validateRecord(collection: collection, value: value, rkey: rkey)
        if status == .unknown, validate == true {
            throw LexiconValidationError(.unknownLexicon, path: "", "Unknown lexicon type: \(collection)")
        }
        return status
    }

    /// Validates `value` against the definition `reference` names (`nsid`, `nsid#name`): an object, a
    /// record's object, or any other data type. Errors' paths start with `root`.
    public func validate(
        _ value: DataValue, against reference: String, root: String = "Object"
    ) throws(LexiconValidationError) {
        var validator = LexiconValidator(registry: self, root: root)
        let absolute = reference.utf8.contains(UInt8(ascii: "#")) ? reference : reference + "#main"
        try validator.validate(value, .ref(absolute))
    }
}
