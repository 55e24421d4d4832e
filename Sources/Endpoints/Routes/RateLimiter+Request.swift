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
}
