import ATProto
import Foundation
import GRDB

/// One-time codes sent by email (PDS-REFERENCE §5.5, the reference's `email-token.ts`): `XXXXX-XXXXX` from a
/// base32 alphabet, one per purpose and account, valid for 15 minutes, used once.
extension AccountStore {
    public enum EmailTokenPurpose: String, Sendable, CaseIterable {
        case confirmEmail = "confirm_email"
        case updateEmail = "update_email"
        case resetPassword = "reset_password"
        case deleteAccount = "delete_account"
        case plcOperation = "plc_operation"
    }

    public enum EmailTokenCheck: Sendable, Equatable {
        case valid
        /// No such code for the account and purpose (`InvalidToken`).
        case invalid
        /// The code is older than its lifetime (`ExpiredToken`).
        case expired
    }

    /// How long a code stays valid (the reference's 15 minutes).
    public static let emailTokenLifetime: TimeInterval = 15 * 60

    /// A new code `XXXXX-XXXXX` (base32 upper case, 50 random bits), as the reference's `getRandomToken`.
    public static func newEmailToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<10).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] }
        return String(characters[0..<5]) + "-" + String(characters[5..<10])
    }

    /// Stores a fresh code for `did` and `purpose` (replacing any earlier one) and returns it.
    public func createEmailToken(did: String, purpose: EmailTokenPurpose, now: Date = Date()) async throws(StorageError) -> String {
        let token = Self.newEmailToken()
        try await database.write(kind: "email_token_create") { db in
            try db.execute(
                sql: """
                    INSERT INTO email_token (purpose, did, token, requested_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (purpose, did) DO UPDATE SET token = excluded.token, requested_at = excluded.requested_at
                    """,
                arguments: [purpose.rawValue, did, token, Self.emailTokenTime(now)])
        }
        return token
    }

    /// Whether `token` (any case) is `did`'s current code for `purpose` and still valid.
    public func checkEmailToken(
        did: String, purpose: EmailTokenPurpose, token: String, now: Date = Date()
    ) async throws(StorageError) -> EmailTokenCheck {
        let requested = try await database.read(kind: "email_token_check") { db in
            try String.fetchOne(
                db, sql: "SELECT requested_at FROM email_token WHERE purpose = ? AND did = ? AND token = ?",
                arguments: [purpose.rawValue, did, token.uppercased()])
        }
        return Self.check(requested: requested, now: now)
    }

    /// The account whose current code for `purpose` is `token` (password resets, where no DID is given), with the
    /// check's outcome; nil DID when no account has that code.
    public func findEmailToken(
        purpose: EmailTokenPurpose, token: String, now: Date = Date()
    ) async throws(StorageError) -> (did: String?, check: EmailTokenCheck) {
        let found = try await database.read(kind: "email_token_check") { db -> (String, String)? in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT did, requested_at FROM email_token WHERE purpose = ? AND token = ?",
                arguments: [purpose.rawValue, token.uppercased()])
            else { return nil }
            return (row["did"], row["requested_at"])
        }
        guard let (did, requested) = found else { return (nil, .invalid) }
        return (did, Self.check(requested: requested, now: now))
    }

    /// Removes `did`'s code for `purpose` (once used).
    public func deleteEmailToken(did: String, purpose: EmailTokenPurpose) async throws(StorageError) {
        try await database.write(kind: "email_token_delete") { db in
            try db.execute(sql: "DELETE FROM email_token WHERE purpose = ? AND did = ?", arguments: [purpose.rawValue, did])
        }
    }

    /// Marks the account's address confirmed and uses up its `confirm_email` code, in one transaction.
    public func confirmEmail(did: String, now: Date = Date()) async throws(StorageError) {
        try await database.write(kind: "account_confirm_email") { db in
            try db.execute(
                sql: "UPDATE account SET email_confirmed_at = ? WHERE did = ?", arguments: [Self.emailTokenTime(now), did])
            try db.execute(
                sql: "DELETE FROM email_token WHERE purpose = ? AND did = ?",
                arguments: [EmailTokenPurpose.confirmEmail.rawValue, did])
        }
    }

    static func check(requested: String?, now: Date) -> EmailTokenCheck {
        guard let requested else { return .invalid }
        guard let at = emailTokenDate(requested), now.timeIntervalSince(at) <= emailTokenLifetime else { return .expired }
        return .valid
    }

    /// Times of codes: ISO 8601 UTC with milliseconds, as the other account times.
    static func emailTokenTime(_ date: Date) -> String { Datetime.format(date) }

    static func emailTokenDate(_ text: String) -> Date? { try? Datetime.parse(text) }
}
