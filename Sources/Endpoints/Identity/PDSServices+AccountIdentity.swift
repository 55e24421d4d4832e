import ATProto
import Storage

extension PDSServices {
    /// Gives `did` the (validated, lower-cased) `handle`: refused when another account holds it; when it differs
    /// from the current one, a did:plc's document is updated through the directory (``updatePLCHandle(did:handle:)``)
    /// and a did:web's document must already name it; then the account row changes and `#identity` is appended
    /// (also for an unchanged handle: the reference's way to announce it again). Shared by `identity.updateHandle`
    /// and `admin.updateAccountHandle`.
    ///
    /// - Returns: the `#identity` event's seq, nil when there is no such account.
    /// - Throws: 400 `HandleNotAvailable` "Handle already taken"; 400 `InvalidRequest` "DID is not properly
    ///   configured for handle" (did:web); the PLC update's errors.
    func changeHandle(did: String, to handle: String, current: String?) async throws -> Int64? {
        if let holder = try await accounts.account(handle: handle), holder.did != did {
            throw XRPCError.invalidRequest("Handle already taken: \(handle)", code: .handleNotAvailable)
        }
        if current != handle {
            if did.hasPrefix("did:plc:") {
                try await updatePLCHandle(did: did, handle: handle)
            } else {
                let document = try? await didResolver.resolve(did, forceRefresh: true)
                guard document?.handle?.lowercased() == handle else {
                    throw XRPCError.invalidRequest("DID is not properly configured for handle")
                }
            }
        }
        do {
            return try await accounts.updateHandle(did: did, handle: handle)
        } catch where error.code == .conflict {
            throw XRPCError.invalidRequest("Handle already taken: \(handle)", code: .handleNotAvailable)
        }
    }

    /// The reference's `assertValidDidDocumentForService`: the DID document of `did` must make this server its
    /// host before the account is activated. For a did:plc (its latest operation in the directory) this server's
    /// rotation key must be among the rotation keys; for any DID the `atproto_pds` endpoint must be `publicURL`
    /// and the `#atproto` key the account's signing key here. All failures are 400 `InvalidRequest` with the
    /// reference's messages ("Could not resolve DID" when there is no document); an unreachable directory is
    /// 502 `UpstreamFailure`.
    func assertDIDDocumentPointsHere(did: String, publicURL: String) async throws(XRPCError) {
        let endpoint: String?
        let signingKey: String?
        if did.hasPrefix("did:plc:") {
            let last: SignedPLCOperation
            do {
                last = try await plc.lastOperation(did: did)
            } catch {
                if error.code == .notFound { throw XRPCError.invalidRequest("Could not resolve DID") }
                logger.error("PLC lookup failed", metadata: ["did": "\(did)", "error": "\(error)"])
                throw XRPCError.upstreamFailure("Could not read the DID document from the PLC directory: \(error.message)")
            }
            guard last.operation.rotationKeys.contains(secrets.plcRotationKey.publicKey.didKey) else {
                throw XRPCError.invalidRequest("Server rotation key not included in PLC DID data")
            }
            endpoint = last.operation.pdsEndpoint
            signingKey = last.operation.atprotoSigningKey
        } else {
            guard let document = try? await didResolver.resolve(did, forceRefresh: true) else {
                throw XRPCError.invalidRequest("Could not resolve DID")
            }
            endpoint = document.pdsEndpoint
            signingKey = document.atprotoSigningKey
        }
        guard let endpoint, endpoint == publicURL else {
            throw XRPCError.invalidRequest("DID document atproto_pds service endpoint does not match PDS public url")
        }
        let local: K256PrivateKey?
        do {
            local = try await accounts.signingKey(did: did)
        } catch {
            throw internalError(error)
        }
        guard let signingKey, let local, signingKey == local.publicKey.didKey else {
            throw XRPCError.invalidRequest("DID document verification method does not match expected signing key")
        }
    }
}
