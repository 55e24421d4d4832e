import Hummingbird

/// Mounts the XRPC dispatcher on the router.
enum XRPCRoutes {
    /// The router path serving every `/xrpc/<nsid>` (the route label of unknown paths is `other`).
    static let wildcardPath = "/xrpc/**"
    static let healthPath = "/xrpc/_health"

    static func add(to router: Router<PDSRequestContext>, dispatcher: XRPCDispatcher) {
        let path = RouterPath(wildcardPath)
        for method in [HTTPRequest.Method.get, .head, .post, .put, .delete, .patch] {
            router.on(path, method: method) { request, context in
                try await dispatcher.respond(to: request, context: context)
            }
        }
        // `/xrpc/` itself: no NSID.
        for method in [HTTPRequest.Method.get, .head, .post] {
            router.on("/xrpc", method: method) { request, context in
                try await dispatcher.respond(to: request, context: context)
            }
        }
    }
}
