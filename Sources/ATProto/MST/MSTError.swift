/// Why an MST operation failed.
public struct MSTError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// A key is not `<collection>/<rkey>` with allowed characters, or too long.
        case invalidKey
        /// Insert of a key that is already present.
        case keyExists
        /// Update or delete of a key that is absent.
        case keyNotFound
        /// A node block the operation needs is not in the block reader.
        case missingBlock
        /// The block reader failed.
        case readFailed
        /// A node block does not decode to a well-formed MST node.
        case malformedNode
        /// A node decodes but breaks a tree invariant (order, heights, emptiness, limits).
        case invalidStructure
    }

    public let code: Code
    public let message: String
    /// The node or block concerned, when there is one.
    public let cid: CID?

    public init(_ code: Code, _ message: String, cid: CID? = nil) {
        self.code = code
        self.message = message
        self.cid = cid
    }

    public var description: String {
        if let cid { return "MST \(code.rawValue): \(message) (block \(cid))" }
        return "MST \(code.rawValue): \(message)"
    }
}
