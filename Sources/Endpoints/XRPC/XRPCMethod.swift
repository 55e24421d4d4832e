import Hummingbird

/// One registered XRPC method.
public struct XRPCMethod: Sendable {
    /// Queries are called with GET (and HEAD), procedures with POST.
    public enum Kind: String, Sendable {
        case query
        case procedure

        var httpMethod: HTTPRequest.Method { self == .query ? .get : .post }
    }

    public typealias Handler = @Sendable (Request, PDSRequestContext) async throws -> Response

    public let nsid: String
    public let kind: Kind
    public let handler: Handler
}
