import Foundation
import Testing

@testable import Endpoints

/// Vectors computed with Python's `hashlib.scrypt` (OpenSSL), which gives the same bytes as Node's
/// `crypto.scrypt` the reference PDS uses: the salt is the UTF-8 text of the hex salt.
@Suite struct PasswordHasherTests {
    static let accountVector =
        "0123456789abcdef0123456789abcdef:4971254c23d915ca81fee56d02cb00bf641a7461bd516d17175bcb314c8abad13e74b1c8f6e11649cb30cee8f888fdd4c8baee55535fd8b628d65e8c655edffe"
    static let appPasswordVector =
        "e253131024780eb99e0d600853180dac:4d57b17fa65b9c1561e5c4c56864fc7610f79b7984335ea36be39716bbd469aa3b220e34c764ca025ac867f0727365a05561db772b3be2d55105e839df71bd1a"

    @Test func verifiesReferenceHashes() async throws {
        let hasher = PasswordHasher()
        #expect(hasher.cost == .init(n: 16_384, r: 8, p: 1))
        #expect(await hasher.verify("hunter2", against: Self.accountVector))
        #expect(await !hasher.verify("hunter3", against: Self.accountVector))
        #expect(await !hasher.verify("", against: Self.accountVector))
    }

    @Test func appPasswordHashUsesTheDIDSalt() async throws {
        let hasher = PasswordHasher()
        let hash = try await hasher.appPasswordHash(did: "did:plc:abcdefghijklmnopqrstuvwx", password: "abcd-efgh-ijkl-mnop")
        #expect(hash == Self.appPasswordVector)
        let other = try await hasher.appPasswordHash(did: "did:plc:bbcdefghijklmnopqrstuvwx", password: "abcd-efgh-ijkl-mnop")
        #expect(other != hash)
    }

    @Test func nonASCIIPasswordsHashTheirUTF8() {
        let result = PasswordHasher.scrypt(
            password: Array("pässwörd".utf8), salt: Array("salt".utf8), cost: .init(n: 1024, r: 8, p: 1))
        #expect(
            (try? result.get())
                == "5cfe203602f8f3bd5886bcbc9732bb959fff5d207783b6dce28ad7a09ed4c290b6de07a5b3b8aab4762ed0367620a719d2bb05100bcd9b90f3b95d49bd975b0e"
        )
    }

    @Test func newHashesHaveRandomSaltsAndVerify() async throws {
        let hasher = PasswordHasher(cost: .init(n: 1024, r: 8, p: 1))
        let first = try await hasher.hash("correct horse")
        let second = try await hasher.hash("correct horse")
        #expect(first != second)
        let parts = first.split(separator: ":")
        #expect(parts.count == 2)
        #expect(parts[0].count == 32 && parts[0].allSatisfy(\.isHexDigit))
        #expect(parts[1].count == 128 && parts[1].allSatisfy(\.isHexDigit))
        #expect(await hasher.verify("correct horse", against: first))
        #expect(await hasher.verify("correct horse", against: second))
        #expect(await !hasher.verify("correct horse ", against: first))
    }

    @Test func malformedStoredHashesAndOverlongPasswordsNeverMatch() async throws {
        let hasher = PasswordHasher(cost: .init(n: 1024, r: 8, p: 1))
        for stored in ["", ":", "abc", "abc:", ":abc", "a:b:c"] {
            #expect(await !hasher.verify("x", against: stored), "\(stored)")
        }
        let long = String(repeating: "a", count: PasswordHasher.maxVerifiedPasswordLength + 1)
        let stored = try await hasher.hash(long)
        #expect(await !hasher.verify(long, against: stored))
        let limit = String(repeating: "a", count: PasswordHasher.maxVerifiedPasswordLength)
        #expect(await hasher.verify(limit, against: try await hasher.hash(limit)))
    }

    @Test func invalidCostIsAnError() async {
        let hasher = PasswordHasher(cost: .init(n: 1000, r: 8, p: 1))  // N must be a power of two
        await #expect(throws: PasswordHashingError.self) { try await hasher.hash("x") }
    }

    @Test func constantTimeEqual() {
        #expect(PasswordHasher.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!PasswordHasher.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!PasswordHasher.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(PasswordHasher.constantTimeEqual([], []))
    }

    @Test func manyConcurrentHashesComplete() async throws {
        let hasher = PasswordHasher(cost: .init(n: 1024, r: 8, p: 1), threads: 2)
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<16 {
                group.addTask {
                    let hash = try await hasher.hash("password-\(index)")
                    return await hasher.verify("password-\(index)", against: hash)
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 16 && results.allSatisfy { $0 })
    }
}
