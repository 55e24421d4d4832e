import ATProto
import Foundation
import GRDB

/// Accounts: creation (with the first repository commit and its events, in one transaction) and lookups.
public final class AccountStore: Sendable {
    public let database: Database
    public let repos: RepoStore

    /// Account rows by DID for ``account(did:)``, emptied whenever an account changes.
    let cache = AccountCache()

    public init(repos: RepoStore) {
        self.database = repos.database
        self.repos = repos
        database.pool.add(transactionObserver: cache, extent: .databaseLifetime)
    }

    /// What a new account needs; the caller has validated and normalised everything and hashed the password.
    public struct NewAccount: Sendable {
        public var did: String
        public var handle: String
        public var email: String?
        public var passwordScrypt: String?
        public var signingKey: K256PrivateKey
        public var inviteCode: String?
        /// True when the DID already existed elsewhere (migration): the account starts deactivated (to be deleted
        /// after three days unless activated, as the reference's `deleteAfter`), no events.
        public var deactivated: Bool

        public init(
            did: String, handle: String, email: String?, passwordScrypt: String?, signingKey: K256PrivateKey,
            inviteCode: String? = nil, deactivated: Bool = false
        ) {
            self.did = did
            self.handle = handle
            self.email = email
            self.passwordScrypt = passwordScrypt
            self.signingKey = signingKey
            self.inviteCode = inviteCode
            self.deactivated = deactivated
        }
    }

    /// How long a deactivated (migrating) account is kept before it may be deleted: three days.
    static let importDeleteAfterMicros: Int64 = 3 * 24 * 3600 * 1_000_000

    public struct Created: Sendable {
        public let account: AccountRecord
        public let head: RepoStore.Head
        /// Sequence numbers of the events written with the account (empty for a deactivated import).
        public let seqs: [Int64]
    }

    /// Creates the account, consumes the invite code, writes the empty repository and, for an active account,
    /// the `#identity`, `#account`, `#commit` and `#sync` events: all or nothing.
    public func create(_ new: NewAccount) async throws(StorageError) -> Created {
        try await database.write(kind: "account_create") { db in
            let now = EventLog.nowMicros()
            let nowString = Datetime.format(microseconds: now)
            let handle = new.handle.lowercased()
            let email = new.email?.lowercased()
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE did = ?", arguments: [new.did]) != nil {
                throw StorageError(.conflict, "an account already exists for \(new.did)")
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE handle = ?", arguments: [handle]) != nil {
                throw StorageError(.conflict, "Handle already taken: \(handle)")
            }
            if let email, try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE email = ?", arguments: [email]) != nil {
                throw StorageError(.conflict, "Email already taken: \(email)")
            }
            if let code = new.inviteCode {
                try Self.useInviteCode(db: db, code: code, by: new.did, at: nowString)
            }
            try db.execute(
                sql: """
                    INSERT INTO account
                        (did, handle, email, password_scrypt, created_at, deactivated_at, delete_after, signing_key)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    new.did, handle, email, new.passwordScrypt, nowString, new.deactivated ? nowString : nil,
                    new.deactivated ? Datetime.format(microseconds: now + Self.importDeleteAfterMicros) : nil,
                    Data(new.signingKey.rawRepresentation),
                ])
            let (head, seqs) = try self.repos.createRepository(
                db: db, did: new.did, handle: handle, key: new.signingKey, announce: !new.deactivated, nowMicros: now)
            let row = try Row.fetchOne(
                db, sql: "SELECT \(AccountRecord.columns) FROM account WHERE did = ?", arguments: [new.did])!
            return Created(account: AccountRecord(row: row), head: head, seqs: seqs)
        }
    }

    static func useInviteCode(db: GRDB.Database, code: String, by did: String, at now: String) throws {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT available_uses, disabled FROM invite_code WHERE code = ?", arguments: [code])
        else { throw StorageError(.invalidInviteCode, "Provided invite code not available") }
        let uses = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invite_code_use WHERE code = ?", arguments: [code]) ?? 0
        guard (row["disabled"] as Int64) == 0, uses < (row["available_uses"] as Int) else {
            throw StorageError(.invalidInviteCode, "Provided invite code not available")
        }
        try db.execute(
            sql: "INSERT INTO invite_code_use (code, used_by, used_at) VALUES (?, ?, ?)", arguments: [code, did, now])
    }

    // MARK: Lookups

    /// The account of `did`, from the cache when it holds it (see ``AccountCache``).
    public func account(did: String) async throws(StorageError) -> AccountRecord? {
        let (cached, generation) = cache.lookup(did: did)
        if let cached { return cached }
        let record = try await lookup(column: "did", did)
        if let record { cache.store(record, generation: generation) }
        return record
    }

    public func account(handle: String) async throws(StorageError) -> AccountRecord? {
        try await lookup(column: "handle", handle.lowercased())
    }

    public func account(email: String) async throws(StorageError) -> AccountRecord? {
        try await lookup(column: "email", email.lowercased())
    }

    /// Looks an account up by DID, handle or email, as `createSession`'s identifier.
    public func account(identifier: String) async throws(StorageError) -> AccountRecord? {
        if identifier.hasPrefix("did:") { return try await account(did: identifier) }
        if identifier.contains("@") { return try await account(email: identifier) }
        return try await account(handle: identifier)
    }

    private func lookup(column: String, _ value: String) async throws(StorageError) -> AccountRecord? {
        try await database.read(kind: "account_get") { db in try Self.lookup(db, column: column, value) }
    }

    private static func lookup(_ db: GRDB.Database, column: String, _ value: String) throws -> AccountRecord? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(AccountRecord.columns) FROM account WHERE \(column) = ?"), arguments: [value]
        ).map(AccountRecord.init(row:))
    }

    /// The account `repo` names (a DID, else a handle) and its record `collection`/`rkey`, in one read: the hot path
    /// of `getRecord` (one hop to a reader connection instead of two). Nil when no account has that DID or handle.
    public func accountAndRecord(
        repo: String, collection: String, rkey: String
    ) async throws(StorageError) -> (account: AccountRecord, record: RepoStore.StoredRecord?)? {
        try await withAccount(repo: repo, kind: "record_get") { db, did in
            try RepoStore.record(db, did: did, collection: collection, rkey: rkey)
        }.map { ($0.account, $0.value) }
    }

    /// The account `repo` names and one page of its records (``RepoStore/listRecords(did:collection:limit:cursor:reverse:)``),
    /// in one read: the hot path of `listRecords`.
    public func accountAndRecords(
        repo: String, collection: String, limit: Int, cursor: String?, reverse: Bool
    ) async throws(StorageError) -> (account: AccountRecord, records: [RepoStore.StoredRecord])? {
        try await withAccount(repo: repo, kind: "record_list") { db, did in
            try RepoStore.listRecords(db, did: did, collection: collection, limit: limit, cursor: cursor, reverse: reverse)
        }.map { ($0.account, $0.value) }
    }

    /// Looks up the account `repo` names and runs `body` with its DID in the same read transaction (or only `body`,
    /// when `repo` is a DID whose account is in ``cache``). `body` must run a single statement.
    private func withAccount<Value: Sendable>(
        repo: String, kind: String, _ body: @escaping @Sendable (GRDB.Database, String) throws -> Value
    ) async throws(StorageError) -> (account: AccountRecord, value: Value)? {
        let isDID = repo.hasPrefix("did:")
        let (cached, generation) = isDID ? cache.lookup(did: repo) : (nil, 0)
        if let cached {
            // One statement: no transaction needed around it.
            return (cached, try await database.readStatement(kind: kind) { db in try body(db, repo) })
        }
        let found = try await database.read(kind: kind) { db -> (account: AccountRecord, value: Value)? in
            let account = isDID ? try Self.lookup(db, column: "did", repo) : try Self.lookup(db, column: "handle", repo.lowercased())
            guard let account else { return nil }
            return (account, try body(db, account.did))
        }
        if isDID, let account = found?.account { cache.store(account, generation: generation) }
        return found
    }

    /// Number of accounts by status (`active`, `deactivated`, `takendown`), for `pds_accounts{status}`: the total
    /// from the smallest index, the other two from their partial indexes (0003_admin), so the cost follows the
    /// number of taken-down and deactivated accounts, not the number of accounts.
    public func countsByStatus() async throws(StorageError) -> [String: Int] {
        try await database.read(kind: "account_count") { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT (SELECT COUNT(*) FROM account) AS total,
                           (SELECT COUNT(*) FROM account WHERE takedown_ref IS NOT NULL) AS takendown,
                           (SELECT COUNT(*) FROM account WHERE deactivated_at IS NOT NULL AND takedown_ref IS NULL) AS deactivated
                    """)
            let total: Int = row?["total"] ?? 0
            let takendown: Int = row?["takendown"] ?? 0
            let deactivated: Int = row?["deactivated"] ?? 0
            return ["active": total - takendown - deactivated, "deactivated": deactivated, "takendown": takendown]
        }
    }
}
