import ATProto
import Hummingbird

/// `com.atproto.identity.resolveHandle` and `GET /.well-known/atproto-did` for the handles hosted here
/// (PDS-REFERENCE §1.1, §5.6). Handles of other servers are not resolved (no DNS TXT or HTTPS lookup yet):
/// resolveHandle answers `HandleNotFound` for them.
enum IdentityRoutes {
    static let resolveHandleNSID = "com.atproto.identity.resolveHandle"
    static let wellKnownPath = "/.well-known/atproto-did"

    struct ResolveHandleOutput: Encodable, Sendable {
        var did: String
    }

    static func add(to xrpc: XRPCRouter, services: PDSServices) {
        xrpc.query(resolveHandleNSID) { request, _ in
            let raw = try request.xrpcParameters.requiredString("handle")
            let handle = raw.lowercased()
            guard Handle.isValid(handle) else {
                throw XRPCError.invalidRequest("Invalid handle: \(raw)")
            }
            guard let did = try await localDID(handle: handle, services: services) else {
                throw XRPCError.invalidRequest("Unable to resolve handle", code: .handleNotFound)
            }
            return try JSONBody.response(ResolveHandleOutput(did: did))
        }
    }

    /// `/.well-known/atproto-did`: the DID of the account whose handle is the request's host, as text/plain;
    /// 404 "User not found" when the host is not a handle under a service domain or no account has it.
    static func add(to router: Router<PDSRequestContext>, services: PDSServices, settings: ServerSettings) {
        let rules = HandleRules(serviceDomains: settings.serviceHandleDomains)
        router.get(RouterPath(wellKnownPath)) { request, _ in
            let notFound = TextBody.response("User not found", status: .notFound)
            guard let host = hostName(request), rules.isServiceHandle(host), Handle.isValid(host) else {
                return notFound
            }
            guard let did = try await localDID(handle: host, services: services) else { return notFound }
            return TextBody.response(did)
        }
    }

    /// The request's host (its authority: the `Host` header of HTTP/1.1), lower-cased, without a port.
    static func hostName(_ request: Request) -> String? {
        guard let authority = request.head.authority, !authority.isEmpty else { return nil }
        var host = Substring(authority)
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") {
            host = host[..<colon]
        }
        return host.lowercased()
    }

    /// The DID of a hosted, not taken-down account with this (lower-cased) handle.
    static func localDID(handle: String, services: PDSServices) async throws(XRPCError) -> String? {
        do {
            guard let account = try await services.accounts.account(handle: handle), account.takedownRef == nil else {
                return nil
            }
            return account.did
        } catch {
            services.logger.error("handle lookup failed", metadata: ["error": "\(error)"])
            throw XRPCError.internalServerError()
        }
    }
}
