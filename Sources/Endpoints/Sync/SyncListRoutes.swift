import ATProto
import Hummingbird
import Storage

/// `com.atproto.sync.getRepoStatus`, `listRepos` and `listBlobs`.
struct SyncListRoutes: Sendable {
    let services: PDSServices
    let access: SyncAccess

    func add(to xrpc: XRPCRouter) {
        xrpc.query("com.atproto.sync.getRepoStatus") { request, _ in try await getRepoStatus(request) }
        xrpc.query("com.atproto.sync.listRepos") { request, _ in try await listRepos(request) }
        xrpc.query("com.atproto.sync.listBlobs") { request, _ in try await listBlobs(request) }
    }

    // MARK: getRepoStatus

    struct RepoStatus: Encodable, Sendable {
        let did: String
        let active: Bool
        let status: String?
        let rev: String?
    }

    /// Answers for every hosted account, active or not (only an unknown DID is `RepoNotFound`); `rev` only
    /// while active, as the reference.
    func getRepoStatus(_ request: Request) async throws -> Response {
        let did = try SyncAccess.did(request.xrpcParameters)
        guard let account = try await services.accounts.account(did: did) else {
            throw XRPCError.invalidRequest("Could not find repo for DID: \(did)", code: .repoNotFound)
        }
        var rev: String?
        if account.isActive {
            rev = try await services.repos.head(did: did)?.rev
        }
        return try JSONBody.response(RepoStatus(did: did, active: account.isActive, status: account.status, rev: rev))
    }

    // MARK: listRepos

    struct RepoList: Encodable, Sendable {
        struct Repo: Encodable, Sendable {
            let did: String
            let head: String
            let rev: String
            let active: Bool
            let status: String?
        }

        let cursor: String?
        let repos: [Repo]
    }

    /// Every hosted repository with its head and status, in DID order; `cursor` is the last DID of a full page.
    func listRepos(_ request: Request) async throws -> Response {
        let params = request.xrpcParameters
        let limit = try params.int("limit", default: 500, range: 1...1000)
        let cursor = params.string("cursor")
        if let cursor, !DID.isValid(cursor) { throw XRPCError.invalidRequest("Malformed cursor") }
        let repos = try await services.repos.listRepos(limit: limit, after: cursor)
        return try JSONBody.response(
            RepoList(
                cursor: repos.count == limit ? repos.last?.did : nil,
                repos: repos.map { repo in
                    .init(
                        did: repo.did, head: repo.head.string, rev: repo.rev, active: repo.status == nil, status: repo.status)
                }))
    }

    // MARK: listBlobs

    struct BlobList: Encodable, Sendable {
        let cursor: String?
        let cids: [String]
    }

    /// The blobs the repository's records reference (each once, permanent blobs only), with `since` only those
    /// of records written after that revision; `cursor` is the last CID of a full page.
    func listBlobs(_ request: Request) async throws -> Response {
        let params = request.xrpcParameters
        let did = try SyncAccess.did(params)
        let since = try SyncAccess.since(params)
        let limit = try params.int("limit", default: 500, range: 1...1000)
        let cursor = try params.string("cursor").map { try SyncAccess.cid($0, name: "cursor") }
        _ = try await access.availableAccount(did, request: request)
        let cids = try await services.repos.listBlobs(did: did, since: since, limit: limit, after: cursor)
        return try JSONBody.response(
            BlobList(cursor: cids.count == limit ? cids.last?.string : nil, cids: cids.map(\.string)))
    }
}
