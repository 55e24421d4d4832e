import Foundation

/// The parsed `Authorization` header (PDS-REFERENCE §2.1): `<type> <credentials>` with the type one of
/// `Basic`, `Bearer` or `DPoP` (case-insensitive). Any other shape is 400 `InvalidToken`.
public enum AuthorizationHeader: Sendable, Hashable {
    case bearer(String)
    case basic(username: String, password: String)
    case dpop(String)

    /// The header's credentials, nil when there is no header, 400 `InvalidToken` for a malformed one.
    public static func parse(_ value: String?) throws(XRPCError) -> AuthorizationHeader? {
        guard let value else { return nil }
        let parts = value.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw XRPCError.invalidToken("Malformed authorization header")
        }
        let token = String(parts[1])
        switch parts[0].lowercased() {
        case "bearer":
            return .bearer(token)
        case "dpop":
            return .dpop(token)
        case "basic":
            // Basic credentials that do not decode are not a token at all: they never match the admin password.
            guard let decoded = Data(base64Encoded: token), let text = String(data: decoded, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else { return .basic(username: "", password: "") }
            return .basic(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
        default:
            throw XRPCError.invalidToken("Unexpected authorization type")
        }
    }
}
