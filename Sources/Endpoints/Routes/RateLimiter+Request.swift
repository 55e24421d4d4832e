import Hummingbird

extension RateLimiter {
    /// For handlers whose limits are keyed by something other than the address (a DID, an identifier): the same
    /// as ``enforce(_:key:points:route:)``, skipped for a bypassed request (bypass header or address).
    func enforce(
        _ policies: [RateLimitPolicy],
        key: String,
        points: Int = 1,
        route: String,
        request: Request,
        context: PDSRequestContext
    ) throws(XRPCError) -> HTTPFields {
        guard settings.enabled else { return [:] }
        let clientIP = RateLimitClientAddress.resolve(
            peer: context.remoteAddress?.ipAddress,
            forwardedFor: request.headers[values: RateLimitClientAddress.forwardedForHeader],
            trustForwardedFor: settings.trustForwardedFor)
        if isBypassed(bypassHeader: request.headers[RateLimitClientAddress.bypassHeader], clientIP: clientIP) {
            return [:]
        }
        return try enforce(policies, key: key, points: points, route: route)
    }

    /// Runs `body` after ``enforce(_:key:points:route:request:context:)``; its response or its XRPC error carries
    /// the `RateLimit-*` headers of the tighter limit (429 `RateLimitExceeded` when one is used up).
    func limited(
        _ policies: [RateLimitPolicy], key: String, points: Int = 1, route: String, request: Request,
        context: PDSRequestContext, _ body: () async throws -> Response
    ) async throws -> Response {
        let headers = try enforce(policies, key: key, points: points, route: route, request: request, context: context)
        do {
            var response = try await body()
            response.headers.append(contentsOf: headers)
            return response
        } catch var error as XRPCError {
            error.headers.append(contentsOf: headers)
            throw error
        }
    }
}
