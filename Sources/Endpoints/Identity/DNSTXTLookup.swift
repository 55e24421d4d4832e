import CResolv
import Dispatch
import Foundation

/// Looks up the TXT records of a DNS name.
public protocol TXTLookup: Sendable {
    /// The TXT records of `name`, each the concatenation of its character-strings. An empty array when the name
    /// does not exist or has no TXT record; throws when the lookup itself failed (no answer, server failure).
    func txtRecords(_ name: String) async throws -> [String]
}

/// A DNS lookup that did not get an answer (timeout, server failure, unreachable resolver).
public struct DNSLookupError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// TXT lookups through glibc's stub resolver (`res_nquery`, servers from /etc/resolv.conf), each run on a
/// dedicated dispatch queue so that neither an event loop nor the cooperative pool ever blocks on the network.
/// Each query waits at most `timeoutSeconds` per attempt, with `attempts` attempts.
public struct ResolverTXTLookup: TXTLookup {
    public var timeoutSeconds: Int32
    public var attempts: Int32
    private static let queue = DispatchQueue(label: "pds.dns", qos: .userInitiated, attributes: .concurrent)

    public init(timeoutSeconds: Int32 = 2, attempts: Int32 = 2) {
        self.timeoutSeconds = timeoutSeconds
        self.attempts = attempts
    }

    public func txtRecords(_ name: String) async throws -> [String] {
        let timeout = timeoutSeconds
        let attempts = attempts
        let result: Result<[String], DNSLookupError> = await withCheckedContinuation { continuation in
            Self.queue.async { continuation.resume(returning: Self.query(name, timeout: timeout, attempts: attempts)) }
        }
        return try result.get()
    }

    private static func query(_ name: String, timeout: Int32, attempts: Int32) -> Result<[String], DNSLookupError> {
        let state = UnsafeMutablePointer<__res_state>.allocate(capacity: 1)
        memset(state, 0, MemoryLayout<__res_state>.size)
        defer { state.deallocate() }
        guard cresolv_ninit(state) == 0 else { return .failure(DNSLookupError(description: "resolver initialisation failed")) }
        defer { cresolv_nclose(state) }
        state.pointee.retrans = timeout
        state.pointee.retry = attempts
        var answer = [UInt8](repeating: 0, count: 8192)
        let length = answer.withUnsafeMutableBufferPointer { buffer in
            res_nquery(state, name, 1 /* C_IN */, 16 /* T_TXT */, buffer.baseAddress, Int32(buffer.count))
        }
        if length < 0 {
            // NXDOMAIN and NODATA are answers ("no such record"); anything else is a failed lookup.
            switch state.pointee.res_h_errno {
            case HOST_NOT_FOUND, NO_DATA: return .success([])
            case TRY_AGAIN: return .failure(DNSLookupError(description: "no answer from the DNS resolver"))
            default: return .failure(DNSLookupError(description: "DNS lookup failed (h_errno \(state.pointee.res_h_errno))"))
            }
        }
        do {
            return .success(try DNSMessage.txtRecords(in: answer[0..<Int(min(length, Int32(answer.count)))]))
        } catch {
            return .failure(error)
        }
    }
}

/// Reads the TXT answers out of a DNS response message (RFC 1035 §4.1), following name compression.
enum DNSMessage {
    static let typeTXT: UInt16 = 16

    static func txtRecords(in message: ArraySlice<UInt8>) throws(DNSLookupError) -> [String] {
        let bytes = Array(message)
        var reader = Reader(bytes: bytes)
        guard bytes.count >= 12 else { throw DNSLookupError(description: "DNS answer shorter than its header") }
        reader.offset = 4
        let questions = try reader.u16()
        let answers = try reader.u16()
        reader.offset = 12
        for _ in 0..<questions {
            try reader.skipName()
            reader.offset += 4
        }
        var records: [String] = []
        for _ in 0..<answers {
            try reader.skipName()
            let type = try reader.u16()
            reader.offset += 6  // class, TTL
            let length = Int(try reader.u16())
            let end = reader.offset + length
            guard end <= bytes.count else { throw DNSLookupError(description: "DNS record runs past the answer") }
            if type == typeTXT {
                var value = [UInt8]()
                var position = reader.offset
                while position < end {
                    let chunk = Int(bytes[position])
                    guard position + 1 + chunk <= end else { throw DNSLookupError(description: "TXT string runs past its record") }
                    value += bytes[(position + 1)..<(position + 1 + chunk)]
                    position += 1 + chunk
                }
                records.append(String(decoding: value, as: UTF8.self))
            }
            reader.offset = end
        }
        return records
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func u16() throws(DNSLookupError) -> UInt16 {
            guard offset + 2 <= bytes.count else { throw DNSLookupError(description: "DNS answer truncated") }
            defer { offset += 2 }
            return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        }

        /// Skips a (possibly compressed) domain name; a pointer ends the name in place.
        mutating func skipName() throws(DNSLookupError) {
            while true {
                guard offset < bytes.count else { throw DNSLookupError(description: "DNS name runs past the answer") }
                let length = bytes[offset]
                if length == 0 {
                    offset += 1
                    return
                }
                if length & 0xC0 == 0xC0 {
                    offset += 2
                    return
                }
                guard length & 0xC0 == 0 else { throw DNSLookupError(description: "unsupported DNS label type") }
                offset += 1 + Int(length)
            }
        }
    }
}
