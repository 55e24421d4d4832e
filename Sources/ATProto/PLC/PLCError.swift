/// Why a did:plc operation could not be built, signed or parsed.
public struct PLCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is; extensible.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// The operation object does not have the shape of a `plc_operation` (missing or mistyped field).
        public static let malformedOperation = Code(name: "malformedOperation")
        /// The operation breaks a did:plc rule (key counts, duplicates, key encodings, size).
        public static let invalidOperation = Code(name: "invalidOperation")
        /// The signing key failed to produce a signature.
        public static let signingFailed = Code(name: "signingFailed")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func == (lhs: PLCError, rhs: PLCError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
