/// Why a CAR stream was refused.
public struct CARError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The input ended inside the header or a block.
        case truncated
        /// The header is not `{version: 1, roots: [links]}`.
        case invalidHeader
        /// A block frame is malformed (bad varint, bad CID, empty frame).
        case invalidBlock
        /// A block's bytes do not hash to its CID.
        case cidMismatch
        /// A block uses a hash function this reader cannot verify.
        case unsupportedHash
        /// A configured limit was exceeded.
        case limitExceeded
        /// Data was fed after ``CARReader/finish()``.
        case finished
    }

    public let code: Code
    public let message: String
    /// Byte offset in the stream where the problem starts.
    public let offset: Int

    public init(_ code: Code, _ message: String, offset: Int) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    public var description: String { "CAR \(code.rawValue) at byte \(offset): \(message)" }
}
