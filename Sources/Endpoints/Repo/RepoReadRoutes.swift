import ATProto
import Hummingbird
import Storage

/// `com.atproto.repo.getRecord`, `listRecords` and `describeRepo` (no auth; PDS-REFERENCE §1.3).
struct RepoReadRoutes: Sendable {
    let services: PDSServices
    let settings: ServerSettings

    func add(to xrpc: XRPCRouter) {
        xrpc.query("com.atproto.repo.getRecord") { request, _ in try await getRecord(request) }
        xrpc.query("com.atproto.repo.listRecords") { request, _ in try await listRecords(request) }
        xrpc.query("com.atproto.repo.describeRepo") { request, _ in try await describeRepo(request) }
    }

    func getRecord(_ request: Request) async throws -> Response {
        let params = request.xrpcParameters
        let repo = try params.requiredString("repo")
        let collection = try params.requiredString("collection")
        let rkey = try params.requiredString("rkey")
        try checkIdentifier(repo)
        guard NSID.isValid(collection) else { throw XRPCError.invalidRequest("collection must be a valid nsid") }
        guard RecordKey.isValid(rkey) else { throw XRPCError.invalidRequest("rkey must be a valid record key") }
        var wanted: CID?
        if let raw = params.string("cid") {
            do { wanted = try CID(string: raw) } catch { throw XRPCError.invalidRequest("cid must be a cid string") }
        }
        guard let (account, found) = try await services.accounts.accountAndRecord(repo: repo, collection: collection, rkey: rkey),
            account.takedownRef == nil, let record = found, record.takedownRef == nil, wanted == nil || wanted == record.cid
        else {
            throw XRPCError.invalidRequest("Could not locate record: at://\(repo)/\(collection)/\(rkey)", code: .recordNotFound)
        }
        return try RepoJSON.response(.map([
            "uri": .string(RepoWriteRoutes.uri(did: account.did, collection: collection, rkey: rkey)),
            "cid": .string(record.cid.string),
            "value": try Self.value(record),
        ]))
    }

    func listRecords(_ request: Request) async throws -> Response {
        let params = request.xrpcParameters
        let repo = try params.requiredString("repo")
        let collection = try params.requiredString("collection")
        try checkIdentifier(repo)
        guard NSID.isValid(collection) else { throw XRPCError.invalidRequest("collection must be a valid nsid") }
        let limit = try params.int("limit", default: 50, range: 1...100)
        let reverse = try params.bool("reverse", default: false)
        let cursor = params.string("cursor")
        guard let (account, records) = try await services.accounts.accountAndRecords(
            repo: repo, collection: collection, limit: limit, cursor: cursor, reverse: reverse),
            account.takedownRef == nil
        else { throw XRPCError.invalidRequest("Could not find repo: \(repo)") }
        var items: [DataValue] = []
        items.reserveCapacity(records.count)
        for record in records where record.takedownRef == nil {
            items.append(.map([
                "uri": .string(RepoWriteRoutes.uri(did: account.did, collection: collection, rkey: record.rkey)),
                "cid": .string(record.cid.string),
                "value": try Self.value(record),
            ]))
        }
        var output: [String: DataValue] = ["records": .array(items)]
        if let last = records.last { output["cursor"] = .string(last.rkey) }
        return try RepoJSON.response(.map(output))
    }

    func describeRepo(_ request: Request) async throws -> Response {
        let repo = try request.xrpcParameters.requiredString("repo")
        try checkIdentifier(repo)
        guard let account = try await localAccount(repo) else {
            throw XRPCError.invalidRequest("Could not find repo for DID: \(repo)", code: .repoNotFound)
        }
        if account.takedownRef != nil {
            throw XRPCError.invalidRequest("Repo has been takendown: \(account.did)", code: "RepoTakendown")
        }
        if account.deactivatedAt != nil {
            throw XRPCError.invalidRequest("Repo has been deactivated: \(account.did)", code: "RepoDeactivated")
        }
        let key = try await services.repos.signingPublicKey(did: account.did)
        let collections = try await services.repos.collections(did: account.did)
        let handle = account.handle ?? "handle.invalid"
        var didDoc: [String: DataValue] = [
            "@context": .array([
                .string("https://www.w3.org/ns/did/v1"), .string("https://w3id.org/security/multikey/v1"),
                .string("https://w3id.org/security/suites/secp256k1-2019/v1"),
            ]),
            "id": .string(account.did),
            "verificationMethod": .array([.map([
                "id": .string("\(account.did)#atproto"), "type": .string("Multikey"),
                "controller": .string(account.did), "publicKeyMultibase": .string(key.multikey),
            ])]),
            "service": .array([.map([
                "id": .string("#atproto_pds"), "type": .string("AtprotoPersonalDataServer"),
                "serviceEndpoint": .string(settings.publicURL),
            ])]),
        ]
        if let stored = account.handle { didDoc["alsoKnownAs"] = .array([.string("at://\(stored)")]) }
        return try RepoJSON.response(.map([
            "handle": .string(handle),
            "did": .string(account.did),
            "didDoc": .map(didDoc),
            "collections": .array(collections.map { .string($0) }),
            "handleIsCorrect": .bool(account.handle != nil),
        ]))
    }

    // MARK: Helpers

    private func checkIdentifier(_ repo: String) throws(XRPCError) {
        guard AtIdentifier.isValid(repo) else { throw XRPCError.invalidRequest("repo must be a valid did or a handle") }
    }

    /// The local account `repo` (DID or handle) names.
    private func localAccount(_ repo: String) async throws -> AccountRecord? {
        repo.hasPrefix("did:")
            ? try await services.accounts.account(did: repo)
            : try await services.accounts.account(handle: repo.lowercased())
    }

    private static func value(_ record: RepoStore.StoredRecord) throws -> DataValue {
        do {
            return try DAGCBOR.decode(record.bytes)
        } catch {
            throw StorageError(.corrupt, "stored record \(record.collection)/\(record.rkey) does not decode: \(error)")
        }
    }
}
