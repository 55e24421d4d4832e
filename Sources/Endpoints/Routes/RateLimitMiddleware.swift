import Hummingbird

/// Applies the per-IP limits to every XRPC call: the global 3000 per 5 minutes (all methods but
/// `sync.getRepo`) and the per-method IP limits of ``RateLimitPolicy/perIPByNSID``. Adds the `RateLimit-*`
/// headers of the tightest limit to the response unless the handler set its own (more specific) ones.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = PDSRequestContext

    let limiter: RateLimiter
    /// NSIDs the server implements; the `route` label of any other is `other`.
    let knownNSIDs: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard limiter.settings.enabled, let nsid = NSIDPath.nsid(fromPath: request.uri.path) else {
            return try await next(request, context)
        }
        let clientIP = RateLimitClientAddress.resolve(
            peer: context.remoteAddress?.ipAddress,
            forwardedFor: request.headers[values: RateLimitClientAddress.forwardedForHeader],
            trustForwardedFor: limiter.settings.trustForwardedFor)
        if limiter.isBypassed(bypassHeader: request.headers[RateLimitClientAddress.bypassHeader], clientIP: clientIP) {
            return try await next(request, context)
        }
        var policies = RateLimitPolicy.perIPByNSID[nsid] ?? []
        if nsid != RateLimitPolicy.globalExemptNSID { policies.insert(.globalIP, at: 0) }
        let route = knownNSIDs.contains(nsid) ? nsid : XRPCDispatcher.unknownRoute
        let decision = limiter.consume(policies, key: clientIP, route: route)
        let headers = decision.headers()
        if decision.exceeded != nil {
            throw XRPCError.rateLimitExceeded(headers: headers)
        }
        do {
            var response = try await next(request, context)
            if response.headers[RateLimiter.limitHeader] == nil {
                response.headers.append(contentsOf: headers)
            }
            return response
        } catch var error as XRPCError {
            if error.headers[RateLimiter.limitHeader] == nil {
                error.headers.append(contentsOf: headers)
            }
            throw error
        }
    }
}
