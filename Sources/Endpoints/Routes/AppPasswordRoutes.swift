import ATProto
import Foundation
import Hummingbird
import Storage

/// `com.atproto.server.createAppPassword`, `listAppPasswords` and `revokeAppPassword` (PDS-REFERENCE §2.3).
enum AppPasswordRoutes {
    /// The base32 alphabet of app passwords and invite codes.
    static let base32Alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
    /// Longest app password name accepted.
    static let maxNameLength = 100

    static func add(to xrpc: XRPCRouter, services: PDSServices) {
        // Full sessions only: an app-password session cannot make more app passwords.
        xrpc.procedure("com.atproto.server.createAppPassword") { request, context in
            let caller = try await services.requireAccess(request, allowDeactivated: true, level: .full)
            var request = request
            let input = try await request.decodeXRPCInput(CreateInput.self, context: context)
            let name = try validName(input.name)
            let password = generatePassword()
            let hash = try await services.passwords.appPasswordHash(did: caller.did, password: password)
            let created: AppPasswordRecord
            do throws(StorageError) {
                created = try await services.accounts.createAppPassword(
                    did: caller.did, name: name, passwordScrypt: hash, privileged: input.privileged ?? false,
                    createdAt: Datetime.now())
            } catch {
                if error.code == .conflict {
                    throw XRPCError.invalidRequest("An app password named \"\(name)\" already exists")
                }
                throw error
            }
            return AppPasswordOutput(name: created.name, password: password, createdAt: created.createdAt, privileged: created.privileged)
        }

        xrpc.query("com.atproto.server.listAppPasswords") { request, _ in
            let caller = try await services.requireAccess(request, allowDeactivated: true)
            let passwords = try await services.accounts.appPasswords(did: caller.did)
            return ListOutput(passwords: passwords.map { .init(name: $0.name, createdAt: $0.createdAt, privileged: $0.privileged) })
        }

        xrpc.procedure("com.atproto.server.revokeAppPassword") { request, context in
            let caller = try await services.requireAccess(request, allowDeactivated: true)
            var request = request
            let input = try await request.decodeXRPCInput(RevokeInput.self, context: context)
            try await services.accounts.revokeAppPassword(did: caller.did, name: input.name)
            return Response(status: .ok)
        }
    }

    // MARK: Helpers

    /// A new app password, `xxxx-xxxx-xxxx-xxxx` of 16 random base32 characters.
    static func generatePassword() -> String {
        randomBase32(16).chunked(4).joined(separator: "-")
    }

    /// `count` random characters of the base32 alphabet (uniform: 256 is a multiple of 32).
    static func randomBase32(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in base32Alphabet[Int(UInt8.random(in: .min ... .max, using: &generator) & 31)] })
    }

    static func validName(_ name: String) throws(XRPCError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw XRPCError.invalidRequest("App password name must not be empty") }
        guard trimmed.count <= maxNameLength else {
            throw XRPCError.invalidRequest("App password name is too long (at most \(maxNameLength) characters)")
        }
        return trimmed
    }

    // MARK: Input and output

    struct CreateInput: Decodable, Sendable {
        var name: String
        var privileged: Bool?
    }

    struct RevokeInput: Decodable, Sendable {
        var name: String
    }

    struct AppPasswordOutput: Encodable, Sendable {
        var name: String
        var password: String
        var createdAt: String
        var privileged: Bool
    }

    struct ListOutput: Encodable, Sendable {
        struct Item: Encodable, Sendable {
            var name: String
            var createdAt: String
            var privileged: Bool
        }

        var passwords: [Item]
    }
}

extension String {
    /// The string cut into pieces of `size` characters.
    fileprivate func chunked(_ size: Int) -> [String] {
        stride(from: 0, to: count, by: size).map { offset in
            let start = index(startIndex, offsetBy: offset)
            let end = index(start, offsetBy: size, limitedBy: endIndex) ?? endIndex
            return String(self[start..<end])
        }
    }
}
