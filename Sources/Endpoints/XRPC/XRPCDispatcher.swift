import Hummingbird

/// Serves `/xrpc/<nsid>` from the registered methods, with the reference's errors for the rest:
/// an invalid NSID is 400 `InvalidRequest` ("invalid xrpc path"), an unknown NSID 501
/// `MethodNotImplemented` (unless ``ServiceProxy`` forwards it: an `atproto-proxy` header or a configured
/// AppView), a query called with POST or a procedure with GET 400 `InvalidRequest`.
struct XRPCDispatcher: Sendable {
    let methods: [String: XRPCMethod]
    var proxy: ServiceProxy? = nil

    /// The metrics label of unknown or invalid XRPC paths.
    static let unknownRoute = "other"
    /// The metrics label of forwarded XRPC calls.
    static let proxiedRoute = "proxied"

    func respond(to request: Request, context: PDSRequestContext) async throws -> Response {
        guard let nsid = NSIDPath.nsid(fromPath: request.uri.path) else {
            context.setRoute(Self.unknownRoute)
            throw XRPCError.invalidRequest("invalid xrpc path")
        }
        guard let method = methods[nsid] else {
            if let proxy, proxy.hasTarget(for: request, nsid: nsid) {
                context.setRoute(Self.proxiedRoute)
                return try await proxy.forward(request, nsid: nsid)
            }
            context.setRoute(Self.unknownRoute)
            throw XRPCError.methodNotImplemented(nsid)
        }
        context.setRoute(nsid)
        let isHead = request.method == .head
        let effective: HTTPRequest.Method = isHead ? .get : request.method
        guard effective == method.kind.httpMethod else {
            throw XRPCError.invalidRequest("Incorrect HTTP method (\(request.method.rawValue)) expected \(method.kind.httpMethod.rawValue)")
        }
        let response = try await method.handler(request, context)
        return isHead ? response.createHeadResponse() : response
    }
}
