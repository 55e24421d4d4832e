extension PDSServices {
    /// Confirms that `handle`, a handle outside the service domains, resolves to `did` (DNS TXT or HTTPS
    /// well-known through ``handleResolver``), as the reference's `normalizeAndValidateHandle` does before an
    /// account that brings its DID, or an admin, may use it.
    ///
    /// Errors: 400 `InvalidRequest` "External handle did not resolve to DID" (the reference's message).
    public func confirmExternalHandle(_ handle: String, did: String) async throws(XRPCError) {
        let resolved = await handleResolver.resolve(handle)
        guard resolved == did else {
            logger.info(
                "external handle does not resolve to the DID",
                metadata: ["handle": "\(handle)", "did": "\(did)", "resolved": "\(resolved ?? "none")"])
            throw XRPCError.invalidRequest("External handle did not resolve to DID")
        }
    }
}
