/// The outcome of validating a record that was not refused: what a PDS reports as `validationStatus`.
public enum LexiconValidationStatus: String, Hashable, Sendable {
    /// The record matched its collection's schema.
    case valid
    /// No schema is known for the collection, so the record was not checked.
    case unknown
}
