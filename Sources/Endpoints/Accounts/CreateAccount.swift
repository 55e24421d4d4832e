import ATProto
import Foundation
import Hummingbird
import Logging
import Storage

/// `com.atproto.server.createAccount` with a new did:plc (PDS-REFERENCE §5.1), or with the caller's own DID
/// (account migration, §5.4).
///
/// Auth is the reference's `userServiceAuthOptional`: no `Bearer` token is an anonymous sign-up; a `Bearer`
/// token must be an inter-service JWT for this method (``PDSServices/optionalServiceAuth(_:nsid:)``). An input
/// `did` needs such a token from that DID (else 401 "Missing auth to create account with did"); the account is
/// then created deactivated (deleted after three days unless activated), with a new repo signing key, no PLC
/// operation (the DID exists already; its owner points it here later) and no firehose events (the reference
/// sequences none for a deactivated account); its handle may be outside the service domains when it resolves
/// to the DID. The answer's `didDoc` is then the DID's current document, when it resolves.
///
/// Every check runs before any side effect. Then, in this order: a new k256 repo signing key, the did:plc
/// genesis operation signed with the server's rotation key, the password hash, the POST to the PLC directory,
/// and only when the directory accepted the DID, the account with its repository and its `#identity`,
/// `#account`, `#commit` and `#sync` events in one database transaction. A PLC failure leaves nothing behind.
/// A database failure after the directory accepted the DID is answered with an error and the DID is retired
/// with a `plc_tombstone` signed by the server's rotation key (as the reference does); if even that fails, the
/// DID is logged at error level (it names this server but has no account; a retry creates a new DID).
enum CreateAccount {
    static let nsid = "com.atproto.server.createAccount"

    struct Input: Decodable, Sendable {
        var email: String?
        var handle: String
        var did: String?
        var inviteCode: String?
        var verificationCode: String?
        var verificationPhone: String?
        var password: String?
        var recoveryKey: String?
        var plcOp: JSONValue?
    }

    /// Any JSON value (only its presence matters: `plcOp` is refused).
    struct JSONValue: Decodable, Sendable {
        init(from decoder: any Decoder) throws {}
    }

    struct Output: Encodable, Sendable {
        var handle: String
        var did: String
        var didDoc: DIDDocument?
        var accessJwt: String
        var refreshJwt: String
    }

    /// A request that passed every check.
    struct Validated: Sendable {
        var handle: String
        var email: String
        var password: String?
        var inviteCode: String?
        var recoveryKey: String?
        /// The DID the caller brings (migration); nil for a new did:plc.
        var did: String?
    }

    static func add(to xrpc: XRPCRouter, services: PDSServices, settings: ServerSettings) {
        let rules = HandleRules(serviceDomains: settings.serviceHandleDomains)
        xrpc.procedure(nsid) { request, context in
            var request = request
            let requester = try await services.optionalServiceAuth(request, nsid: nsid)
            let input = try await request.decodeXRPCInput(Input.self, context: context)
            let validated = try await validate(
                input, requester: requester?.iss, services: services, rules: rules, inviteRequired: settings.inviteRequired)
            let output =
                if validated.did != nil {
                    try await createWithDID(validated, services: services)
                } else {
                    try await create(validated, services: services, publicURL: settings.publicURL)
                }
            return try JSONBody.response(output)
        }
    }

    // MARK: Checks

    /// The reference's checks in its order; each failure is a 4xx and nothing has been written.
    ///
    /// - Parameter requester: the `iss` of the request's verified service token, if it had one.
    static func validate(
        _ input: Input, requester: String? = nil, services: PDSServices, rules: HandleRules, inviteRequired: Bool
    ) async throws(XRPCError) -> Validated {
        if input.plcOp != nil {
            throw XRPCError.invalidRequest("Unsupported input: \"plcOp\"")
        }
        if let password = input.password {
            guard password.count <= PasswordHasher.maxNewPasswordLength else {
                throw XRPCError.invalidRequest(
                    "Password too long. Maximum length is \(PasswordHasher.maxNewPasswordLength) characters.",
                    code: .invalidPassword)
            }
            guard !password.isEmpty else {
                throw XRPCError.invalidRequest("Password must not be empty", code: .invalidPassword)
            }
        }
        let inviteCode = input.inviteCode.flatMap { $0.isEmpty ? nil : $0 }
        if inviteRequired, inviteCode == nil {
            throw XRPCError.invalidRequest("No invite code provided", code: .invalidInviteCode)
        }
        guard let rawEmail = input.email, !rawEmail.isEmpty else {
            throw XRPCError.invalidRequest("Email is required", code: .invalidEmail)
        }
        let email = rawEmail.lowercased()
        guard EmailAddress.isValid(email) else {
            throw XRPCError.invalidRequest(
                "This email address is not supported, please use a different email.", code: .invalidEmail)
        }
        let (handle, isServiceHandle) = try rules.validate(input.handle, allowExternal: input.did != nil)
        if let did = input.did {
            // Bringing an existing DID (account migration) needs a service-auth JWT from that DID.
            guard did == requester else {
                throw XRPCError.authenticationRequired("Missing auth to create account with did: \(did)")
            }
            if !isServiceHandle {
                try await services.confirmExternalHandle(handle, did: did)
            }
        }
        if let recoveryKey = input.recoveryKey {
            do {
                _ = try PublicKey(didKey: recoveryKey)
            } catch {
                throw XRPCError.invalidRequest("Invalid recoveryKey (must be a did:key): \(error)")
            }
        }
        do {
            if let inviteCode {
                guard let invite = try await services.accounts.inviteCode(inviteCode), !invite.disabled,
                    invite.uses.count < invite.available
                else {
                    throw XRPCError.invalidRequest("Provided invite code not available", code: .invalidInviteCode)
                }
            }
            if let did = input.did, try await services.accounts.account(did: did) != nil {
                throw XRPCError.invalidRequest("An account with this DID already exists on this server: \(did)")
            }
            if try await services.accounts.account(handle: handle) != nil {
                throw XRPCError.invalidRequest("Handle already taken: \(handle)", code: .handleNotAvailable)
            }
            if try await services.accounts.account(email: email) != nil {
                throw XRPCError.invalidRequest("Email already taken: \(email)", code: .invalidEmail)
            }
        } catch let error as XRPCError {
            throw error
        } catch {
            services.logger.error("createAccount: storage failure during checks", metadata: ["error": "\(error)"])
            throw XRPCError.internalServerError()
        }
        return Validated(
            handle: handle, email: email, password: input.password, inviteCode: inviteCode,
            recoveryKey: input.recoveryKey, did: input.did)
    }

    // MARK: Creation

    /// The did:plc genesis operation of a new account: rotation keys `[recoveryKey?, server rotation key]`
    /// (most authority first, as the reference orders them), the signing key as `atproto`, the handle, this PDS.
    static func genesisOperation(
        signingKey: K256PrivateKey, handle: String, recoveryKey: String?, rotationKey: K256PrivateKey,
        publicURL: String
    ) throws(PLCError) -> SignedPLCOperation {
        var rotationKeys = [rotationKey.publicKey.didKey]
        if let recoveryKey { rotationKeys.insert(recoveryKey, at: 0) }
        return try PLCOperation(
            atprotoSigningKey: signingKey.publicKey.didKey, rotationKeys: rotationKeys, handle: handle,
            pdsEndpoint: publicURL
        ).signed(with: rotationKey)
    }

    /// The scrypt hash of the new account's password, if it has one.
    static func hashedPassword(_ input: Validated, services: PDSServices) async throws(XRPCError) -> String? {
        guard let password = input.password else { return nil }
        do {
            return try await services.passwords.hash(password)
        } catch {
            services.logger.error("createAccount: password hashing failed", metadata: ["error": "\(error)"])
            throw XRPCError.internalServerError()
        }
    }

    /// The client's error for an account row that could not be stored.
    static func storeError(_ error: StorageError) -> XRPCError {
        switch error.code {
        case .invalidInviteCode:
            XRPCError.invalidRequest("Provided invite code not available", code: .invalidInviteCode)
        case .conflict:
            XRPCError.invalidRequest(error.message, code: error.message.hasPrefix("Email") ? .invalidEmail : .handleNotAvailable)
        default:
            XRPCError.internalServerError()
        }
    }

    /// Counts a stored account (`pds_account_events_total`), refreshes `pds_accounts{status}` and logs the
    /// `account_created` event, for both ways of creating an account.
    static func recordCreated(did: String, handle: String, rev: String, deactivated: Bool, services: PDSServices) async {
        services.accountMetrics.record(.created)
        await services.refreshAccountGauge()
        var metadata: Logger.Metadata = ["event": "account_created", "did": "\(did)", "handle": "\(handle)", "rev": "\(rev)"]
        if deactivated { metadata["deactivated"] = "true" }
        services.logger.info("account created", metadata: metadata)
    }

    /// Retires a DID whose account could not be stored.
    static func retire(did: String, genesis: SignedPLCOperation, services: PDSServices) async {
        do {
            let tombstone = try PLCTombstone.signed(prev: genesis.cid().string, with: services.secrets.plcRotationKey)
            try await services.plc.submit(did: did, tombstone: tombstone)
            services.logger.warning("createAccount: retired the DID of the account that was not stored", metadata: ["did": "\(did)"])
        } catch {
            services.logger.error(
                "createAccount: could not retire the DID of the account that was not stored; it names this server without an account",
                metadata: ["did": "\(did)", "error": "\(error)"])
        }
    }

    static func create(_ input: Validated, services: PDSServices, publicURL: String) async throws(XRPCError) -> Output {
        let signingKey = K256PrivateKey()
        let genesis: SignedPLCOperation
        do {
            genesis = try genesisOperation(
                signingKey: signingKey, handle: input.handle, recoveryKey: input.recoveryKey,
                rotationKey: services.secrets.plcRotationKey, publicURL: publicURL)
        } catch {
            services.logger.error("createAccount: building the PLC operation failed", metadata: ["error": "\(error)"])
            throw XRPCError.invalidRequest("Could not build the did:plc operation: \(error.message)")
        }
        let did = PLC.did(forGenesis: genesis)
        let passwordScrypt = try await hashedPassword(input, services: services)

        do {
            try await services.plc.submit(did: did, operation: genesis)
        } catch {
            services.accountMetrics.record(.createFailed)
            services.logger.error(
                "createAccount: the PLC directory did not register the DID",
                metadata: ["did": "\(did)", "handle": "\(input.handle)", "error": "\(error)"])
            switch error.code {
            case .rejected, .notFound:
                throw XRPCError.upstreamFailure("The PLC directory refused the new DID: \(error.message)")
            default:
                throw XRPCError.upstreamFailure("The PLC directory could not be reached: \(error.message)")
            }
        }

        let created: AccountStore.Created
        do {
            created = try await services.accounts.create(
                AccountStore.NewAccount(
                    did: did, handle: input.handle, email: input.email, passwordScrypt: passwordScrypt,
                    signingKey: signingKey, inviteCode: input.inviteCode))
        } catch {
            services.accountMetrics.record(.createFailed)
            services.logger.error(
                "createAccount: storing the account failed after the PLC directory registered its DID",
                metadata: ["did": "\(did)", "handle": "\(input.handle)", "error": "\(error)"])
            await retire(did: did, genesis: genesis, services: services)
            throw Self.storeError(error)
        }

        await recordCreated(did: did, handle: input.handle, rev: created.head.rev, deactivated: false, services: services)
        let tokens = try await services.issueSession(did: did)
        return Output(
            handle: input.handle, did: did, didDoc: DIDDocument(did: did, operation: genesis.operation),
            accessJwt: tokens.accessJwt, refreshJwt: tokens.refreshJwt)
    }

    // MARK: Bringing a DID

    /// The account of a DID that exists elsewhere (migration step 2): deactivated, a new signing key, nothing sent
    /// to the PLC directory, no events. A storage failure leaves nothing behind (and there is no DID to retire).
    static func createWithDID(_ input: Validated, services: PDSServices) async throws(XRPCError) -> Output {
        guard let did = input.did else { throw XRPCError.internalServerError() }
        let signingKey = K256PrivateKey()
        let passwordScrypt = try await hashedPassword(input, services: services)
        let created: AccountStore.Created
        do {
            created = try await services.accounts.create(
                AccountStore.NewAccount(
                    did: did, handle: input.handle, email: input.email, passwordScrypt: passwordScrypt,
                    signingKey: signingKey, inviteCode: input.inviteCode, deactivated: true))
        } catch {
            services.accountMetrics.record(.createFailed)
            services.logger.error(
                "createAccount: storing the migrating account failed",
                metadata: ["did": "\(did)", "handle": "\(input.handle)", "error": "\(error)"])
            throw Self.storeError(error)
        }
        await recordCreated(did: did, handle: input.handle, rev: created.head.rev, deactivated: true, services: services)
        // The reference answers the DID's current document (resolved afresh), or none when it does not resolve.
        let didDoc = try? await services.didResolver.resolve(did, forceRefresh: true)
        let tokens = try await services.issueSession(did: did)
        return Output(
            handle: input.handle, did: did, didDoc: didDoc, accessJwt: tokens.accessJwt, refreshJwt: tokens.refreshJwt)
    }
}
