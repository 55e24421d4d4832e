import ATProto
import Hummingbird
import Storage

/// `com.atproto.repo.createRecord`, `putRecord`, `deleteRecord` and `applyWrites` (PDS-REFERENCE §1.3, §3.7, §3.8).
///
/// Each request is prepared outside the database (syntax, validation, encoding) and committed with one
/// ``RepoStore/applyWrites(did:writes:swapCommit:)``; blob files the commit released are deleted afterwards.
struct RepoWriteRoutes: Sendable {
    static let applyWritesType = "com.atproto.repo.applyWrites"

    let services: PDSServices
    let preparer: RecordPreparer
    let metrics: RepoMetrics
    /// Called with the blobs a commit released (their files can go).
    let releaseBlobs: @Sendable (_ did: String, _ cids: [CID]) async -> Void

    func add(to xrpc: XRPCRouter) {
        xrpc.procedure("com.atproto.repo.createRecord") { request, context in
            try await createRecord(request, context: context)
        }
        xrpc.procedure("com.atproto.repo.putRecord") { request, context in
            try await putRecord(request, context: context)
        }
        xrpc.procedure("com.atproto.repo.deleteRecord") { request, context in
            try await deleteRecord(request, context: context)
        }
        xrpc.procedure("com.atproto.repo.applyWrites") { request, context in
            try await applyWrites(request, context: context)
        }
    }

    // MARK: Handlers

    func createRecord(_ request: Request, context: PDSRequestContext) async throws -> Response {
        let (did, input) = try await authorizedInput(request, context: context)
        return try await rateLimited(did: did, points: Self.createPoints, route: "com.atproto.repo.createRecord", request, context) {
            let prepared = try preparer.prepareRecord(
                action: .create, collection: try input.requiredString("collection"), rkey: try input.string("rkey"),
                record: try input.requiredObject("record"), validate: try input.bool("validate"))
            let outcome = try await commit(did: did, writes: [prepared.write], swapCommit: try input.cid("swapCommit"))
            return try RepoJSON.response(writeOutput(did: did, prepared: prepared, outcome: outcome))
        }
    }

    func putRecord(_ request: Request, context: PDSRequestContext) async throws -> Response {
        let (did, input) = try await authorizedInput(request, context: context)
        return try await rateLimited(did: did, points: Self.updatePoints, route: "com.atproto.repo.putRecord", request, context) {
            let swap: RecordWrite.Swap
            switch input.fields["swapRecord"] {
            case nil: swap = .unchecked
            case .null?: swap = .mustNotExist
            default: swap = try input.cid("swapRecord").map { .mustBe($0) } ?? .unchecked
            }
            let prepared = try preparer.prepareRecord(
                action: .put, collection: try input.requiredString("collection"), rkey: try input.requiredString("rkey"),
                record: try input.requiredObject("record"), validate: try input.bool("validate"), swap: swap)
            let outcome = try await commit(did: did, writes: [prepared.write], swapCommit: try input.cid("swapCommit"))
            return try RepoJSON.response(writeOutput(did: did, prepared: prepared, outcome: outcome))
        }
    }

    func deleteRecord(_ request: Request, context: PDSRequestContext) async throws -> Response {
        let (did, input) = try await authorizedInput(request, context: context)
        return try await rateLimited(did: did, points: Self.deletePoints, route: "com.atproto.repo.deleteRecord", request, context) {
            let swapRecord = try input.cid("swapRecord")
            let prepared = try preparer.prepareDelete(
                collection: try input.requiredString("collection"), rkey: try input.requiredString("rkey"),
                swap: swapRecord.map { .mustBe($0) } ?? .unchecked)
            let swapCommit = try input.cid("swapCommit")
            // Deleting a record that does not exist is a no-op without a commit (as the reference), unless a swap
            // condition makes it an error.
            if swapRecord == nil, swapCommit == nil,
                try await services.repos.record(did: did, collection: prepared.write.collection, rkey: prepared.write.rkey) == nil
            {
                return try RepoJSON.response(.map([:]))
            }
            let outcome = try await commit(did: did, writes: [prepared.write], swapCommit: swapCommit)
            return try RepoJSON.response(.map(["commit": Self.commitMeta(outcome)]))
        }
    }

    func applyWrites(_ request: Request, context: PDSRequestContext) async throws -> Response {
        let (did, input) = try await authorizedInput(request, context: context)
        let validate = try input.bool("validate")
        let items = try input.requiredArray("writes")
        guard items.count <= RepoStore.maxWritesPerCommit else {
            throw XRPCError.invalidRequest("Too many writes. Max: \(RepoStore.maxWritesPerCommit)")
        }
        var prepared: [RecordPreparer.Prepared] = []
        prepared.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            prepared.append(try prepareApplyWrite(item, path: "Input/writes/\(index)", validate: validate))
        }
        let points = prepared.reduce(0) { $0 + Self.points(for: $1.write.action) }
        return try await rateLimited(did: did, points: points, route: Self.applyWritesType, request, context) {
            try await applyPrepared(prepared, did: did, swapCommit: try input.cid("swapCommit"))
        }
    }

    private func applyPrepared(_ prepared: [RecordPreparer.Prepared], did: String, swapCommit: CID?) async throws -> Response {
        let outcome = try await commit(did: did, writes: prepared.map(\.write), swapCommit: swapCommit)
        let results: [DataValue] = prepared.map { item in
            let write = item.write
            switch write.action {
            case .delete:
                return .map(["$type": .string("\(Self.applyWritesType)#deleteResult")])
            case .create, .put, .update:
                var result: [String: DataValue] = [
                    "$type": .string("\(Self.applyWritesType)#\(write.action == .create ? "createResult" : "updateResult")"),
                    "uri": .string(Self.uri(did: did, collection: write.collection, rkey: write.rkey)),
                    "cid": .string(write.record?.cid.string ?? ""),
                ]
                if let status = item.validationStatus { result["validationStatus"] = .string(status.rawValue) }
                return .map(result)
            }
        }
        return try RepoJSON.response(.map(["commit": Self.commitMeta(outcome), "results": .array(results)]))
    }

    // MARK: Rate limits (PDS-REFERENCE §7.1: shared per-account points, per hour and per day)

    static let createPoints = 3
    static let updatePoints = 2
    static let deletePoints = 1

    static func points(for action: RecordWrite.Action) -> Int {
        switch action {
        case .create: createPoints
        case .put, .update: updatePoints
        case .delete: deletePoints
        }
    }

    /// Consumes `points` of the caller's repo-write limits, then runs `body`; its response or error carries the
    /// `RateLimit-*` headers of the tighter limit (429 `RateLimitExceeded` when one is used up).
    private func rateLimited(
        did: String,
        points: Int,
        route: String,
        _ request: Request,
        _ context: PDSRequestContext,
        _ body: () async throws -> Response
    ) async throws -> Response {
        try await services.rateLimiter.limited(
            [.repoWriteHour, .repoWriteDay], key: did, points: points, route: route, request: request, context: context, body)
    }

    // MARK: Helpers

    private func prepareApplyWrite(_ item: DataValue, path: String, validate: Bool?) throws(XRPCError) -> RecordPreparer.Prepared {
        guard case .map(let fields) = item else { throw XRPCError.invalidRequest("\(path) must be an object") }
        let write = JSONObjectInput(fields)
        let type = try write.requiredString("$type", path: path)
        let collection = try write.requiredString("collection", path: path)
        switch type {
        case "\(Self.applyWritesType)#create":
            return try preparer.prepareRecord(
                action: .create, collection: collection, rkey: try write.string("rkey", path: path),
                record: try write.requiredObject("value", path: path), validate: validate)
        case "\(Self.applyWritesType)#update":
            return try preparer.prepareRecord(
                action: .update, collection: collection, rkey: try write.requiredString("rkey", path: path),
                record: try write.requiredObject("value", path: path), validate: validate)
        case "\(Self.applyWritesType)#delete":
            return try preparer.prepareDelete(collection: collection, rkey: try write.requiredString("rkey", path: path))
        default:
            throw XRPCError.invalidRequest(
                "\(path)/$type must be one of \(Self.applyWritesType)#create, #update or #delete, found \(type)")
        }
    }

    /// The authenticated caller's DID, after checking that `repo` names the caller, and the parsed body.
    private func authorizedInput(_ request: Request, context: PDSRequestContext) async throws -> (String, JSONObjectInput) {
        let caller = try await services.requireAccess(request)
        var request = request
        let input = try await JSONObjectInput.read(&request, context: context)
        let repo = try input.requiredString("repo")
        guard AtIdentifier.isValid(repo) else {
            throw XRPCError.invalidRequest("Input/repo must be a valid did or a handle")
        }
        let matches = repo.hasPrefix("did:") ? repo == caller.did : repo.lowercased() == caller.account.handle
        guard matches else {
            throw XRPCError.authenticationRequired("Cannot write to the repo of another user")
        }
        return (caller.did, input)
    }

    private func commit(did: String, writes: [RecordWrite], swapCommit: CID?) async throws -> CommitOutcome {
        let start = ContinuousClock.now
        let outcome: CommitOutcome
        do {
            outcome = try await services.repos.applyWrites(did: did, writes: writes, swapCommit: swapCommit)
        } catch {
            if let mapped = XRPCError.repoWrite(error) { throw mapped }
            throw error
        }
        metrics.record(outcome, duration: ContinuousClock.now - start)
        if !outcome.releasedBlobs.isEmpty {
            await releaseBlobs(did, outcome.releasedBlobs)
        }
        return outcome
    }

    private func writeOutput(did: String, prepared: RecordPreparer.Prepared, outcome: CommitOutcome) -> DataValue {
        var output: [String: DataValue] = [
            "uri": .string(Self.uri(did: did, collection: prepared.write.collection, rkey: prepared.write.rkey)),
            "cid": .string(prepared.write.record?.cid.string ?? ""),
            "commit": Self.commitMeta(outcome),
        ]
        if let status = prepared.validationStatus { output["validationStatus"] = .string(status.rawValue) }
        return .map(output)
    }

    static func commitMeta(_ outcome: CommitOutcome) -> DataValue {
        .map(["cid": .string(outcome.commitCID.string), "rev": .string(outcome.rev)])
    }

    static func uri(did: String, collection: String, rkey: String) -> String {
        "at://\(did)/\(collection)/\(rkey)"
    }
}
