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
    /// Errors (all 400): `InvalidHandle` (syntax, disallowed TLD, explicit slur, dots in the first label, too short
    /// or long), `UnsupportedDomain` (not under a service domain), `HandleNotAvailable` (reserved). `allowReserved`
    /// is the reference's `allowAnyValid` (admins): reserved names and the slur check are waived.
    public func validateNewHandle(_ input: String, allowReserved: Bool = false) throws(XRPCError) -> String {
        try validate(input, allowExternal: false, allowAnyValid: allowReserved).handle
    }

    /// The reference's `normalizeAndValidateHandle`: lower-cases `input`, checks its syntax, TLD and (unless
    /// `allowAnyValid`) the explicit-slur list; a handle under a service domain must then meet the service
    /// constraints (first label without dots, 3 to 18 characters, not reserved unless `allowAnyValid`). Any other
    /// handle is `UnsupportedDomain` unless `allowExternal` (an account that brings its DID, or an admin): the
    /// caller must then confirm that it resolves to the DID (``PDSServices/confirmExternalHandle(_:did:)``).
    ///
    /// - Returns: the lower-cased handle and whether it is under a service domain.
    public func validate(
        _ input: String, allowExternal: Bool, allowAnyValid: Bool = false
    ) throws(XRPCError) -> (handle: String, isServiceHandle: Bool) {
        let handle = input.lowercased()
        do {
            _ = try Handle(handle)
        } catch {
            throw XRPCError.invalidRequest("Invalid handle: \(error.message)", code: .invalidHandle)
        }
        guard !Handle.disallowedTLDs.contains(where: { handle.hasSuffix($0) }) else {
            throw XRPCError.invalidRequest("Handle TLD is invalid or disallowed", code: .invalidHandle)
        }
        if !allowAnyValid, ExplicitSlurs.contains(handle) {
            throw XRPCError.invalidRequest("Inappropriate language in handle", code: .invalidHandle)
        }
        guard let domain = serviceDomain(of: handle) else {
            guard allowExternal else {
                throw XRPCError.invalidRequest("Not a supported handle domain", code: .unsupportedDomain)
            }
            return (handle, false)
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
        guard allowAnyValid || !ReservedHandles.names.contains(front) else {
            throw XRPCError.invalidRequest("Reserved handle", code: .handleNotAvailable)
        }
        return (handle, true)
    }
}
