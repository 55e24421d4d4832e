/// A string value that is only constructed after passing an atproto syntax check (handle, DID,
/// NSID, AT-URI, record key, TID, at-identifier). It encodes and decodes as a plain string;
/// decoding re-validates and fails with `DecodingError.dataCorrupted` naming the problem.
public protocol SyntaxIdentifier: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Validates `string` and wraps it.
    init(_ string: String) throws(SyntaxError)
    /// The validated string, exactly as given.
    var string: String { get }
}

extension SyntaxIdentifier {
    public var description: String { string }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        do {
            self = try Self(raw)
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(string)
    }
}
