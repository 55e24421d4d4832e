/// A Lexicon `subscription` definition (an event stream): its parameters and the union of message types.
public struct LexiconSubscription: Hashable, Sendable {
    public var parameters: LexiconObject?
    public var message: LexiconUnion
    public var errors: [String]

    public init(parameters: LexiconObject? = nil, message: LexiconUnion, errors: [String] = []) {
        self.parameters = parameters
        self.message = message
        self.errors = errors
    }
}
