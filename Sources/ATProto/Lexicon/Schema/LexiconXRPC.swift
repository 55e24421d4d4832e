/// A Lexicon `query` or `procedure` definition (an XRPC HTTP endpoint).
public struct LexiconXRPC: Hashable, Sendable {
    public var parameters: LexiconObject?
    /// The request body; only procedures have one.
    public var input: LexiconXRPCBody?
    public var output: LexiconXRPCBody?
    /// The names of the errors the endpoint declares.
    public var errors: [String]

    public init(
        parameters: LexiconObject? = nil, input: LexiconXRPCBody? = nil, output: LexiconXRPCBody? = nil,
        errors: [String] = []
    ) {
        self.parameters = parameters
        self.input = input
        self.output = output
        self.errors = errors
    }
}
