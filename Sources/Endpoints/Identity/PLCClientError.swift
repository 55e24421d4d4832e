/// Why a PLC directory request failed.
public struct PLCClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// The directory could not be reached, timed out or answered 5xx (after the retries).
        public static let unavailable = Code(name: "unavailable")
        /// The directory refused the request (4xx other than 404); `message` is the directory's.
        public static let rejected = Code(name: "rejected")
        /// The DID is unknown to the directory (404).
        public static let notFound = Code(name: "notFound")
        /// The directory answered something that is not what the protocol says.
        public static let invalidResponse = Code(name: "invalidResponse")
    }

    public let code: Code
    public let message: String
    /// The HTTP status of the directory's answer, if there was one.
    public let status: Int?

    public init(_ code: Code, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String {
        "PLC directory \(code)\(status.map { " (HTTP \($0))" } ?? ""): \(message)"
    }
}
