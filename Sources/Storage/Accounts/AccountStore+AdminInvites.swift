import GRDB

extension AccountStore {
    /// The orders of `com.atproto.admin.getInviteCodes`.
    public enum InviteCodeSort: String, Sendable, CaseIterable {
        /// Newest first (`created_at`, then code, descending).
        case recent
        /// Most used first (number of uses, then code, descending).
        case usage
    }

    /// A position in an invite-code listing: the last row's sort value (`created_at` or the use count as text)
    /// and its code.
    public struct InviteCodeCursor: Sendable, Hashable {
        public let primary: String
        public let code: String

        public init(primary: String, code: String) {
            self.primary = primary
            self.code = code
        }
    }

    /// One page of every invite code in `sort` order, after `cursor`.
    public func inviteCodesPage(
        sort: InviteCodeSort, limit: Int, after cursor: InviteCodeCursor?
    ) async throws(StorageError) -> [InviteCodeRecord] {
        try await database.read(kind: "invite_code_page") { db in
            let key =
                switch sort {
                case .recent: "created_at"
                case .usage: "(SELECT COUNT(*) FROM invite_code_use u WHERE u.code = invite_code.code)"
                }
            guard let cursor else {
                return try Self.fetchInviteCodes(
                    db, where: "1", arguments: [], order: "\(key) DESC, code DESC", limit: limit)
            }
            let primary: any DatabaseValueConvertible =
                switch sort {
                case .recent: cursor.primary
                case .usage: Int(cursor.primary) ?? 0
                }
            return try Self.fetchInviteCodes(
                db, where: "(\(key), code) < (?, ?)", arguments: [primary, cursor.code], order: "\(key) DESC, code DESC",
                limit: limit)
        }
    }

    /// The invite code `did` signed up with, if any.
    public func invitedBy(did: String) async throws(StorageError) -> InviteCodeRecord? {
        try await database.read(kind: "invite_code_get") { db in
            try Self.fetchInviteCodes(
                db, where: "code IN (SELECT code FROM invite_code_use WHERE used_by = ?)", arguments: [did],
                order: "created_at", limit: 1
            ).first
        }
    }

    /// Turns the account's right to be given invite codes off or on (existing codes are unchanged). False when
    /// there is no such account.
    public func setInvitesDisabled(did: String, _ disabled: Bool) async throws(StorageError) -> Bool {
        try await database.write(kind: "invite_account_toggle") { db in
            try db.execute(sql: "UPDATE account SET invites_disabled = ? WHERE did = ?", arguments: [disabled ? 1 : 0, did])
            return db.changesCount > 0
        }
    }

    /// Disables the listed codes and every code made for the listed accounts. Returns how many codes changed.
    @discardableResult
    public func disableInviteCodes(codes: [String], accounts: [String]) async throws(StorageError) -> Int {
        try await database.write(kind: "invite_code_disable") { db in
            var changed = 0
            for code in Set(codes) {
                try db.execute(sql: "UPDATE invite_code SET disabled = 1 WHERE code = ? AND disabled = 0", arguments: [code])
                changed += db.changesCount
            }
            for account in Set(accounts) {
                try db.execute(
                    sql: "UPDATE invite_code SET disabled = 1 WHERE for_account = ? AND disabled = 0", arguments: [account])
                changed += db.changesCount
            }
            return changed
        }
    }
}
