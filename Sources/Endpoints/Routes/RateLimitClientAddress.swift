import Foundation
import HTTPTypes

/// The client address rate limits are keyed by.
enum RateLimitClientAddress {
    static let forwardedForHeader = HTTPField.Name("X-Forwarded-For")!
    static let bypassHeader = HTTPField.Name(RateLimitSettings.bypassHeaderName)!

    /// The key used when the connection's address is unknown (in-process tests).
    static let unknown = "unknown"

    /// The connection's address, or, when `trustForwardedFor` is set and the connection comes from a proxy
    /// address (loopback, link-local, private), the right-most `X-Forwarded-For` entry that is not itself such
    /// an address (as Express's `trust proxy` with loopback, linklocal and uniquelocal, which the reference uses).
    static func resolve(peer: String?, forwardedFor: [String], trustForwardedFor: Bool) -> String {
        let peerAddress = peer.map(normalize) ?? unknown
        guard trustForwardedFor, peer == nil || isProxyAddress(peerAddress) else { return peerAddress }
        let chain = forwardedFor.flatMap { $0.split(separator: ",") }
            .map { normalize($0.trimmingCharacters(in: .whitespaces)) }
            .filter { !$0.isEmpty }
        guard !chain.isEmpty else { return peerAddress }
        for address in chain.reversed() where !isProxyAddress(address) {
            return address
        }
        return chain[0]
    }

    /// Lower case, IPv4-mapped IPv6 as plain IPv4.
    static func normalize(_ address: some StringProtocol) -> String {
        let lowered = address.lowercased()
        if lowered.hasPrefix("::ffff:"), lowered.dropFirst(7).contains(".") { return String(lowered.dropFirst(7)) }
        return lowered
    }

    /// Loopback (127/8, ::1), link-local (169.254/16, fe80::/10) and private (10/8, 172.16/12, 192.168/16,
    /// fc00::/7) addresses.
    static func isProxyAddress(_ address: String) -> Bool {
        if address.contains(":") {
            return address == "::1" || address.hasPrefix("fe8") || address.hasPrefix("fe9") || address.hasPrefix("fea")
                || address.hasPrefix("feb") || address.hasPrefix("fc") || address.hasPrefix("fd")
        }
        let octets = address.split(separator: ".").compactMap { UInt8($0) }
        guard octets.count == 4 else { return false }
        switch (octets[0], octets[1]) {
        case (127, _), (10, _), (192, 168), (169, 254): return true
        case (172, 16...31): return true
        default: return false
        }
    }
}
