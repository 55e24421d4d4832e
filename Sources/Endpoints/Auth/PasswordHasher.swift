import COpenSSL
import Crypto
import Dispatch
import Foundation
import Synchronization

/// scrypt password hashing through OpenSSL's `EVP_PBE_scrypt`, compatible with the reference PDS.
///
/// Account passwords are stored as `"<salt>:<hash>"`: `salt` is 16 random bytes in hex, and the hash is
/// scrypt(password, salt = the UTF-8 bytes of that hex text, N=16384, r=8, p=1, 64 bytes) in hex (Node's
/// `crypto.scrypt` defaults). App passwords use the salt `hex(sha256(did)[0..<16])` so they can be looked up
/// by hash.
///
/// scrypt takes tens of milliseconds of CPU and 16 MB of memory, so it never runs on the caller's thread: each
/// call goes to one of a few dedicated serial queues (a small thread pool of our own), keeping Swift's
/// cooperative pool and the event loops free.
public final class PasswordHasher: Sendable {
    /// The scrypt cost parameters.
    public struct Cost: Sendable, Hashable {
        public var n: UInt64
        public var r: UInt64
        public var p: UInt64

        public init(n: UInt64, r: UInt64, p: UInt64) {
            self.n = n
            self.r = r
            self.p = p
        }

        /// Node's `crypto.scrypt` defaults, which the reference PDS uses: N=16384, r=8, p=1.
        public static let reference = Cost(n: 16_384, r: 8, p: 1)
    }

    /// Longest password accepted when setting one (the reference's `NEW_PASSWORD_MAX_LENGTH`).
    public static let maxNewPasswordLength = 256
    /// Longest password ever checked (the reference's `OLD_PASSWORD_MAX_LENGTH`); longer ones never match.
    public static let maxVerifiedPasswordLength = 512
    /// Length of the derived key, in bytes.
    static let keyLength = 64

    public let cost: Cost
    private let queues: [DispatchQueue]
    private let nextQueue = Atomic<Int>(0)

    /// - Parameter threads: how many scrypt computations may run at once.
    public init(cost: Cost = .reference, threads: Int = 2) {
        self.cost = cost
        self.queues = (0..<max(1, threads)).map { DispatchQueue(label: "pds.scrypt.\($0)", qos: .userInitiated) }
    }

    // MARK: Account passwords

    /// A new `"<salt>:<hash>"` for `password` with a random salt.
    public func hash(_ password: String) async throws(PasswordHashingError) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = Self.hex((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        let derived = try await derive(password: password, salt: salt)
        return salt + ":" + derived
    }

    /// Whether `password` matches `stored` (`"<salt>:<hash>"`), compared in constant time. A malformed stored
    /// value or a password longer than ``maxVerifiedPasswordLength`` never matches.
    public func verify(_ password: String, against stored: String) async -> Bool {
        guard password.count <= Self.maxVerifiedPasswordLength else { return false }
        let parts = stored.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        guard let derived = try? await derive(password: password, salt: String(parts[0])) else { return false }
        return Self.constantTimeEqual(Array(derived.utf8), Array(parts[1].utf8))
    }

    // MARK: App passwords

    /// The stored form of an app password of `did`: `"<salt>:<hash>"` with the salt derived from the DID.
    public func appPasswordHash(did: String, password: String) async throws(PasswordHashingError) -> String {
        let salt = Self.hex(Array(SHA256.hash(data: Array(did.utf8)).prefix(16)))
        return salt + ":" + (try await derive(password: password, salt: salt))
    }

    // MARK: scrypt

    /// Hex of scrypt(password, UTF-8 bytes of `salt`), computed on one of the dedicated queues.
    func derive(password: String, salt: String) async throws(PasswordHashingError) -> String {
        let queue = queues[nextQueue.wrappingAdd(1, ordering: .relaxed).oldValue % queues.count]
        let cost = self.cost
        let result: Result<String, PasswordHashingError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Self.scrypt(password: Array(password.utf8), salt: Array(salt.utf8), cost: cost))
            }
        }
        return try result.get()
    }

    /// Runs `EVP_PBE_scrypt` on the current thread.
    static func scrypt(password: [UInt8], salt: [UInt8], cost: Cost) -> Result<String, PasswordHashingError> {
        var key = [UInt8](repeating: 0, count: keyLength)
        // 128 * r * N bytes of work memory (16 MiB for the reference cost) plus headroom.
        let maxMemory = 128 * cost.r * cost.n * cost.p + 32 * 1024 * 1024
        let passwordChars = password.map { CChar(bitPattern: $0) }
        let status = EVP_PBE_scrypt(
            passwordChars, passwordChars.count, salt, salt.count, cost.n, cost.r, cost.p, maxMemory, &key, key.count)
        guard status == 1 else {
            return .failure(PasswordHashingError(message: "EVP_PBE_scrypt failed (N=\(cost.n), r=\(cost.r), p=\(cost.p))"))
        }
        return .success(hex(key))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares two byte strings in time that depends only on their lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// OpenSSL refused to compute a hash (bad cost parameters or out of memory).
public struct PasswordHashingError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
