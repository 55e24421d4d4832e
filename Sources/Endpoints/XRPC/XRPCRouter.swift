import Hummingbird

/// The registry of XRPC methods: one line per method.
///
/// ```swift
/// xrpc.query("com.atproto.server.describeServer") { request, context in DescribeServerOutput(...) }
/// xrpc.procedure("com.atproto.server.createSession") { request, context in ... }
/// ```
/// A handler returns a `Response`, any `Encodable` value (sent as JSON with status 200), or nothing
/// (status 200, empty body). It throws ``XRPCError`` for client errors; anything else it throws
/// becomes a 500 `InternalServerError` with the details in the log.
public final class XRPCRouter {
    private(set) var methods: [String: XRPCMethod] = [:]

    public init() {}

    /// NSIDs registered so far, sorted.
    public var registeredNSIDs: [String] { methods.keys.sorted() }

    /// Registers `method`, replacing any earlier registration of the same NSID.
    public func register(_ method: XRPCMethod) {
        methods[method.nsid] = method
    }

    // MARK: Queries

    public func query(_ nsid: String, _ handler: @escaping XRPCMethod.Handler) {
        register(XRPCMethod(nsid: nsid, kind: .query, handler: handler))
    }

    public func query<Output: Encodable & Sendable>(
        _ nsid: String,
        _ handler: @escaping @Sendable (Request, PDSRequestContext) async throws -> Output
    ) {
        query(nsid) { request, context in try JSONBody.response(try await handler(request, context)) }
    }

    // MARK: Procedures

    public func procedure(_ nsid: String, _ handler: @escaping XRPCMethod.Handler) {
        register(XRPCMethod(nsid: nsid, kind: .procedure, handler: handler))
    }

    public func procedure<Output: Encodable & Sendable>(
        _ nsid: String,
        _ handler: @escaping @Sendable (Request, PDSRequestContext) async throws -> Output
    ) {
        procedure(nsid) { request, context in try JSONBody.response(try await handler(request, context)) }
    }

    public func procedure(
        _ nsid: String,
        _ handler: @escaping @Sendable (Request, PDSRequestContext) async throws -> Void
    ) {
        procedure(nsid) { request, context in
            try await handler(request, context)
            return Response(status: .ok)
        }
    }

    /// An immutable snapshot for serving.
    func makeDispatcher(proxy: ServiceProxy? = nil) -> XRPCDispatcher {
        XRPCDispatcher(methods: methods, proxy: proxy)
    }
}
