import ATProto
import Hummingbird

/// `com.atproto.identity.resolveHandle` and `GET /.well-known/atproto-did` (PDS-REFERENCE §1.1, §5.6).
/// resolveHandle answers from the accounts hosted here first; a handle under one of the service domains that no
/// account has is `HandleNotFound`; any other handle is resolved through DNS and HTTPS (``HandleResolver``),
/// as the reference does when it has no AppView.
enum IdentityRoutes {
    static let resolveHandleNSID = "com.atproto.identity.resolveHandle"
    static let wellKnownPath = "/.well-known/atproto-did"

    struct ResolveHandleOutput: Encodable, Sendable {
        var did: String
    }

    static func add(to xrpc: XRPCRouter, services: PDSServices, settings: ServerSettings) {
        let rules = HandleRules(serviceDomains: settings.serviceHandleDomains)
        xrpc.query(resolveHandleNSID) { request, _ in
            let raw = try request.xrpcParameters.requiredString("handle")
            let handle = raw.lowercased()
            guard Handle.isValid(handle) else {
                throw XRPCError.invalidRequest("Invalid handle: \(raw)")
            }
            if let did = try await localDID(handle: handle, services: services) {
                return try JSONBody.response(ResolveHandleOutput(did: did))
            }
            if !rules.isServiceHandle(handle), let did = await services.handleResolver.resolve(handle) {
                return try JSONBody.response(ResolveHandleOutput(did: did))
            }
            throw XRPCError.invalidRequest("Unable to resolve handle", code: .handleNotFound)
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
