/// The `scope` claim of a legacy session JWT (the reference PDS's `auth-scope.ts`).
public enum AuthScope: String, Sendable, CaseIterable {
    /// A full session, made with the account password.
    case access = "com.atproto.access"
    /// A session made with a privileged app password (may use chat and other privileged methods).
    case appPassPrivileged = "com.atproto.appPassPrivileged"
    /// A session made with an ordinary app password.
    case appPass = "com.atproto.appPass"
    /// A refresh token.
    case refresh = "com.atproto.refresh"
    /// A session of a taken-down account that logged in with `allowTakendown: true`.
    case takendown = "com.atproto.takendown"

    /// The scope of a new session: taken down, app password (privileged or not) or full access.
    public static func forSession(appPassword: AppPasswordGrant?, takendown: Bool) -> AuthScope {
        if takendown { return .takendown }
        guard let appPassword else { return .access }
        return appPassword.privileged ? .appPassPrivileged : .appPass
    }
}

/// Which access scopes a method accepts (the reference's `ACCESS_FULL`, `ACCESS_PRIVILEGED`, `ACCESS_STANDARD`).
public enum AccessLevel: Sendable, Hashable {
    /// Any access session, including app passwords.
    case standard
    /// Full sessions and privileged app passwords.
    case privileged
    /// Full sessions only (app passwords get 400 `InvalidToken` "Bad token scope").
    case full

    /// Whether a token with `scope` may call a method at this level.
    public func allows(_ scope: AuthScope) -> Bool {
        switch (self, scope) {
        case (_, .access): true
        case (.standard, .appPass), (.standard, .appPassPrivileged), (.privileged, .appPassPrivileged): true
        default: false
        }
    }
}

/// The app password a session was made with.
public struct AppPasswordGrant: Sendable, Hashable {
    public let name: String
    public let privileged: Bool

    public init(name: String, privileged: Bool) {
        self.name = name
        self.privileged = privileged
    }
}
