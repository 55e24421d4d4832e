import ATProto

/// The rules for handles registered on this server (createAccount; PDS-REFERENCE §5.1): lower-cased, valid
/// handle syntax, no disallowed TLD, under one of the service handle domains, a first label of 3 to 18
/// characters without dots, not reserved.
public struct HandleRules: Sendable {
    /// Shortest and longest first label of a service handle (`alice` in `alice.pds.example.com`).
    public static let labelLengths = 3...18

    /// The service handle domains, each with a leading dot (`".pds.example.com"`).
    public let serviceDomains: [String]

    public init(serviceDomains: [String]) {
        self.serviceDomains = serviceDomains.map { domain in
            let lower = domain.lowercased()
            return lower.hasPrefix(".") ? lower : "." + lower
        }
    }

    /// The service domain `handle` (already lower-cased) ends in, or nil.
    public func serviceDomain(of handle: String) -> String? {
        serviceDomains.first { handle.hasSuffix($0) && handle.count > $0.count }
    }

    /// Whether `handle` is under one of the service handle domains (case-insensitive).
    public func isServiceHandle(_ handle: String) -> Bool {
        serviceDomain(of: handle.lowercased()) != nil
    }

    /// Normalises `input` and checks it can be registered on this server; returns the lower-cased handle.
    ///
    /// Errors (all 400): `InvalidHandle` (syntax, disallowed TLD, dots in the first label, too short or long),
    /// `UnsupportedDomain` (not under a service domain), `HandleNotAvailable` (reserved, unless `allowReserved`:
    /// an admin may hand out reserved names, as the reference's `allowAnyValid`).
    public func validateNewHandle(_ input: String, allowReserved: Bool = false) throws(XRPCError) -> String {
        let handle = input.lowercased()
        do {
            _ = try Handle(handle)
        } catch {
            throw XRPCError.invalidRequest("Invalid handle: \(error.message)", code: .invalidHandle)
        }
        guard !Handle.disallowedTLDs.contains(where: { handle.hasSuffix($0) }) else {
            throw XRPCError.invalidRequest("Handle TLD is invalid or disallowed", code: .invalidHandle)
        }
        guard let domain = serviceDomain(of: handle) else {
            throw XRPCError.invalidRequest("Not a supported handle domain", code: .unsupportedDomain)
        }
        let front = String(handle.dropLast(domain.count))
        guard !front.contains(".") else {
            throw XRPCError.invalidRequest("Invalid characters in handle", code: .invalidHandle)
        }
        guard front.count >= Self.labelLengths.lowerBound else {
            throw XRPCError.invalidRequest("Handle too short", code: .invalidHandle)
        }
        guard front.count <= Self.labelLengths.upperBound else {
            throw XRPCError.invalidRequest("Handle too long", code: .invalidHandle)
        }
        guard allowReserved || !ReservedHandles.names.contains(front) else {
            throw XRPCError.invalidRequest("Reserved handle", code: .handleNotAvailable)
        }
        return handle
    }
}
