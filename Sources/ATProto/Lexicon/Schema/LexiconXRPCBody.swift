/// The input or output body of an XRPC endpoint: a MIME encoding and an optional schema (`object`, `ref`
/// or `union`).
public struct LexiconXRPCBody: Hashable, Sendable {
    public var encoding: String
    public var schema: LexiconSchema?

    public init(encoding: String, schema: LexiconSchema? = nil) {
        self.encoding = encoding
        self.schema = schema
    }
}
