/// Why a commit, an operation or an inversion proof was refused.
public struct CommitError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// A commit block is not a well-formed v2/v3 commit.
        case invalidCommit
        /// An operation is malformed or inconsistent with its action.
        case invalidOperation
        /// The blocks given do not contain a node the check needs (an incomplete proof).
        case missingBlock
        /// The tree the blocks describe is malformed.
        case invalidTree
        /// An operation does not match the tree (e.g. the created key holds another CID).
        case operationMismatch
        /// Inverting the operations does not lead back to `prevData`.
        case rootMismatch
        /// A write could not be applied (record exists, record missing, duplicate path, bad key).
        case invalidWrite
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "commit \(code.rawValue): \(message)" }
}
