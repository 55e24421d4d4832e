/// A string failed an atproto syntax check (handle, DID, NSID, AT-URI, record key, TID, datetime, ...).
///
/// `kind` names the syntax that was checked (`"handle"`, `"did"`, ...); `message` says what is wrong.
public struct SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The syntax that was checked, for example `"handle"` or `"nsid"`.
    public let kind: String
    /// What is wrong with the input, in plain words.
    public let message: String

    public init(kind: String, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "invalid \(kind): \(message)" }
}
