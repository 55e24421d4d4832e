import Foundation
import GRDB

/// An account row (never carries the signing key out of Storage).
public struct AccountRecord: Sendable, Hashable {
    public let did: String
    public let handle: String?
    public let email: String?
    public let passwordScrypt: String?
    public let emailConfirmedAt: String?
    public let invitesDisabled: Bool
    public let createdAt: String
    public let takedownRef: String?
    public let deactivatedAt: String?
    public let deleteAfter: String?

    /// The hosting status the reference reports: `takendown`, `deactivated`, or nil when active.
    public var status: String? {
        if takedownRef != nil { return "takendown" }
        if deactivatedAt != nil { return "deactivated" }
        return nil
    }

    public var isActive: Bool { status == nil }

    static let columns =
        "did, handle, email, password_scrypt, email_confirmed_at, invites_disabled, created_at, takedown_ref, deactivated_at, delete_after"

    init(row: Row) {
        did = row["did"]
        handle = row["handle"]
        email = row["email"]
        passwordScrypt = row["password_scrypt"]
        emailConfirmedAt = row["email_confirmed_at"]
        invitesDisabled = (row["invites_disabled"] as Int64? ?? 0) != 0
        createdAt = row["created_at"]
        takedownRef = row["takedown_ref"]
        deactivatedAt = row["deactivated_at"]
        deleteAfter = row["delete_after"]
    }
}
