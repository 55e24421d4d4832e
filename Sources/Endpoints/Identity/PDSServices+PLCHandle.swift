import ATProto

extension PDSServices {
    /// Points a did:plc's `alsoKnownAs` at `handle`: a new operation after the DID's latest one, with the first
    /// `at://` alias replaced (or added in front), signed with this server's rotation key and posted to the
    /// directory, as the reference's `plcClient.updateHandle` does.
    ///
    /// Errors: 400 `InvalidRequest` when the DID is not a did:plc or this server's rotation key may no longer
    /// change it; 502 `UpstreamFailure` when the directory refuses or cannot be reached.
    public func updatePLCHandle(did: String, handle: String) async throws(XRPCError) {
        guard did.hasPrefix("did:plc:") else {
            throw XRPCError.invalidRequest("Only the handle of a did:plc can be updated by this server: \(did)")
        }
        let operation: SignedPLCOperation
        do {
            let last = try await plc.lastOperation(did: did)
            let rotationKey = secrets.plcRotationKey.publicKey.didKey
            guard last.operation.rotationKeys.contains(rotationKey) else {
                throw XRPCError.invalidRequest("This server's rotation key can no longer update the DID document of \(did)")
            }
            var next = last.operation
            let alias = "at://" + handle
            if let index = next.alsoKnownAs.firstIndex(where: { $0.hasPrefix("at://") }) {
                next.alsoKnownAs[index] = alias
            } else {
                next.alsoKnownAs.insert(alias, at: 0)
            }
            next.prev = last.cid().string
            operation = try next.signed(with: secrets.plcRotationKey)
            try await plc.submit(did: did, operation: operation)
        } catch let error as XRPCError {
            throw error
        } catch let error as PLCClientError {
            logger.error("PLC handle update failed", metadata: ["did": "\(did)", "error": "\(error)"])
            throw XRPCError.upstreamFailure("The PLC directory did not accept the handle update: \(error.message)")
        } catch {
            logger.error("PLC handle update failed", metadata: ["did": "\(did)", "error": "\(error)"])
            throw XRPCError.upstreamFailure("Could not update the DID document: \(error)")
        }
    }
}
