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
                let document = await freshDocument(did: did)
                guard document?.handle?.lowercased() == handle else {
                    throw XRPCError.invalidRequest("DID is not properly configured for handle")
                }
            }
        }
        switch await Self.storeHandle(accounts, did: did, handle: handle) {
        case .success(let seq):
            return seq
        case .failure(let error):
            if error.code == .conflict {
                throw XRPCError.invalidRequest("Handle already taken: \(handle)", code: .handleNotAvailable)
            }
            throw error
        }
    }

    private static func storeHandle(_ accounts: AccountStore, did: String, handle: String) async -> Result<Int64?, StorageError> {
        do {
            return .success(try await accounts.updateHandle(did: did, handle: handle))
        } catch {
            return .failure(error)
        }
    }

    /// The reference's `assertValidDidDocumentForService`: the DID document of `did` must make this server its
    /// host before the account is activated. For a did:plc (its latest operation in the directory) this server's
    /// rotation key must be among the rotation keys; for any DID the `atproto_pds` endpoint must be `publicURL`
    /// and the `#atproto` key the account's signing key here. All failures are 400 `InvalidRequest` with the
    /// reference's messages ("Could not resolve DID" when there is no document); an unreachable directory is
    /// 502 `UpstreamFailure`.
    func assertDIDDocumentPointsHere(did: String, publicURL: String) async throws {
        let (endpoint, signingKey) = try await hostingEntries(did: did)
        guard endpoint == publicURL else {
            throw XRPCError.invalidRequest("DID document atproto_pds service endpoint does not match PDS public url")
        }
        let local = try await accounts.signingKey(did: did)
        guard let local, signingKey == local.publicKey.didKey else {
            throw XRPCError.invalidRequest("DID document verification method does not match expected signing key")
        }
    }

    /// The `atproto_pds` endpoint and `#atproto` key of the DID's document (for a did:plc, its latest operation,
    /// which must also keep this server's rotation key).
    private func hostingEntries(did: String) async throws -> (endpoint: String?, signingKey: String?) {
        guard did.hasPrefix("did:plc:") else {
            guard let document = await freshDocument(did: did) else {
                throw XRPCError.invalidRequest("Could not resolve DID")
            }
            return (document.pdsEndpoint, document.atprotoSigningKey)
        }
        let result: Result<SignedPLCOperation, PLCClientError> = await Self.lastOperation(plc, did: did)
        switch result {
        case .success(let last):
            guard last.operation.rotationKeys.contains(secrets.plcRotationKey.publicKey.didKey) else {
                throw XRPCError.invalidRequest("Server rotation key not included in PLC DID data")
            }
            return (last.operation.pdsEndpoint, last.operation.atprotoSigningKey)
        case .failure(let error):
            if error.code == .notFound { throw XRPCError.invalidRequest("Could not resolve DID") }
            logger.error("PLC lookup failed", metadata: ["did": .string(did), "error": .string(error.description)])
            throw XRPCError.upstreamFailure("Could not read the DID document from the PLC directory: \(error.message)")
        }
    }

    /// The DID's document read again (not from the cache), nil when it cannot be resolved.
    private func freshDocument(did: String) async -> DIDDocument? {
        do {
            return try await didResolver.resolve(did, forceRefresh: true)
        } catch {
            return nil
        }
    }

    private static func lastOperation(_ plc: any PLCClient, did: String) async -> Result<SignedPLCOperation, PLCClientError> {
        do {
            return .success(try await plc.lastOperation(did: did))
        } catch {
            return .failure(error)
        }
    }
}
