import Storage

/// The caller of an authenticated XRPC request, as ``PDSServices`` verified it.
public struct AuthenticatedAccount: Sendable {
    /// The account's DID (the token's `sub`).
    public let did: String
    /// The token's scope.
    public let scope: AuthScope
    /// The app password of the session. Known for refresh tokens (stored with the token); access tokens, like the
    /// reference PDS's, do not carry it, so it is nil for them.
    public let appPasswordName: String?
    /// The account row as read while verifying the token.
    public let account: AccountRecord

    public init(did: String, scope: AuthScope, appPasswordName: String?, account: AccountRecord) {
        self.did = did
        self.scope = scope
        self.appPasswordName = appPasswordName
        self.account = account
    }

    /// True for a full (account password) session.
    public var isFullAccess: Bool { scope == .access }
}
