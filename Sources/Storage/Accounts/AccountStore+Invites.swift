import GRDB

/// An invite code with its uses (the shape of `com.atproto.server.defs#inviteCode`).
public struct InviteCodeRecord: Sendable, Hashable {
    public struct Use: Sendable, Hashable {
        public let usedBy: String
        public let usedAt: String
    }

    public let code: String
    /// How many accounts may use it in total.
    public let available: Int
    public let disabled: Bool
    /// The DID it was made for, or `admin`.
    public let forAccount: String
    public let createdBy: String
    public let createdAt: String
    public let uses: [Use]
}

extension AccountStore {
    /// Stores invite codes: for each account (a DID or `admin`) its codes, each usable `useCount` times.
    /// Fails with `conflict` if a code already exists (nothing is stored then).
    public func createInviteCodes(
        _ codes: [(forAccount: String, codes: [String])], useCount: Int, createdBy: String, createdAt: String
    ) async throws(StorageError) {
        try await database.write(kind: "invite_code_create") { db in
            for (account, accountCodes) in codes {
                for code in accountCodes {
                    if try Bool.fetchOne(db, sql: "SELECT 1 FROM invite_code WHERE code = ?", arguments: [code]) != nil {
                        throw StorageError(.conflict, "invite code \(code) already exists")
                    }
                    try db.execute(
                        sql: """
                            INSERT INTO invite_code (code, available_uses, disabled, for_account, created_by, created_at)
                            VALUES (?, ?, 0, ?, ?, ?)
                            """,
                        arguments: [code, useCount, account, createdBy, createdAt])
                }
            }
        }
    }

    /// The invite codes made for `forAccount` (a DID or `admin`), oldest first, with their uses.
    public func inviteCodes(forAccount: String) async throws(StorageError) -> [InviteCodeRecord] {
        try await database.read(kind: "invite_code_list") { db in
            try Self.fetchInviteCodes(db, where: "for_account = ?", arguments: [forAccount], order: "created_at, code")
        }
    }

    /// One invite code with its uses, or nil.
    public func inviteCode(_ code: String) async throws(StorageError) -> InviteCodeRecord? {
        try await database.read(kind: "invite_code_get") { db in
            try Self.fetchInviteCodes(db, where: "code = ?", arguments: [code], order: "code").first
        }
    }

    /// Invite codes matching `condition`, in `order`, each with its uses (oldest first).
    static func fetchInviteCodes(
        _ db: GRDB.Database, where condition: String, arguments: StatementArguments, order: String, limit: Int? = nil
    ) throws -> [InviteCodeRecord] {
        var sql = """
            SELECT code, available_uses, disabled, for_account, created_by, created_at FROM invite_code
            WHERE \(condition) ORDER BY \(order)
            """
        if let limit { sql += " LIMIT \(limit)" }
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            let code: String = row["code"]
            let uses = try Row.fetchAll(
                db, sql: "SELECT used_by, used_at FROM invite_code_use WHERE code = ? ORDER BY used_at, used_by",
                arguments: [code]
            ).map { InviteCodeRecord.Use(usedBy: $0["used_by"], usedAt: $0["used_at"]) }
            return InviteCodeRecord(
                code: code, available: row["available_uses"], disabled: (row["disabled"] as Int64) != 0,
                forAccount: row["for_account"], createdBy: row["created_by"], createdAt: row["created_at"], uses: uses)
        }
    }
}
