import ATProto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Synchronization
import Testing

@testable import Endpoints

/// Keeps every message instead of sending it.
final class RecordingMailer: Mailer {
    let sent = Mutex<[MailMessage]>([])
    let failing = Atomic<Bool>(false)

    func send(_ message: MailMessage) async throws {
        if failing.load(ordering: .relaxed) { throw MailerError("test mailer refuses") }
        sent.withLock { $0.append(message) }
    }

    var messages: [MailMessage] { sent.withLock { $0 } }

    /// The code (`XXXXX-XXXXX`) of the last message.
    var lastCode: String? {
        guard let text = messages.last?.text, let range = text.range(of: "[A-Z2-7]{5}-[A-Z2-7]{5}", options: .regularExpression)
        else { return nil }
        return String(text[range])
    }
}

/// The email-code flows (PDS-REFERENCE §5.5) over XRPC, with a recording mailer.
@Suite struct EmailRoutesTests {
    typealias Server = TestServerWithServices

    static func post(_ client: any TestClientProtocol, _ nsid: String, _ body: [String: Any]? = nil, token: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(
            uri: "/xrpc/\(nsid)", method: .post, headers: headers, body: body.map { Server.body($0) } ?? ByteBuffer(string: "{}"))
    }

    static func error(_ response: TestResponse) -> String? { Server.object(response)["error"] as? String }

    @Test func confirmAndChangeTheAddress() async throws {
        let mailer = RecordingMailer()
        let server = try await Server(mailer: mailer)
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com", email: "alice@example.com")
        let tokens = try await server.issueSession(did: alice.did)
        let appPassword = try await server.issueSession(did: alice.did, scope: .appPass, appPasswordName: "phone")
        try await server.test { client in
            // Unconfirmed: changing needs no code and sends none.
            let unconfirmed = try await Self.post(client, "com.atproto.server.requestEmailUpdate", token: tokens.accessJwt)
            #expect(Server.object(unconfirmed)["tokenRequired"] as? Bool == false)
            #expect(mailer.messages.isEmpty)

            #expect(try await Self.post(client, "com.atproto.server.requestEmailConfirmation", token: tokens.accessJwt).status == .ok)
            #expect(mailer.messages.last?.to == "alice@example.com" && mailer.messages.last?.subject == "Email Confirmation")
            let code = try #require(mailer.lastCode)
            let wrongEmail = try await Self.post(
                client, "com.atproto.server.confirmEmail", ["email": "bob@example.com", "token": code], token: tokens.accessJwt)
            #expect(Self.error(wrongEmail) == "InvalidEmail")
            let wrongCode = try await Self.post(
                client, "com.atproto.server.confirmEmail", ["email": "alice@example.com", "token": "AAAAA-AAAAA"], token: tokens.accessJwt)
            #expect(wrongCode.status == .badRequest && Self.error(wrongCode) == "InvalidToken")
            let confirmed = try await Self.post(
                client, "com.atproto.server.confirmEmail", ["email": "ALICE@example.com", "token": code.lowercased()], token: tokens.accessJwt)
            #expect(confirmed.status == .ok)
            let again = try await Self.post(
                client, "com.atproto.server.confirmEmail", ["email": "alice@example.com", "token": code], token: tokens.accessJwt)
            #expect(Self.error(again) == "InvalidToken")
            let session = try await client.execute(uri: "/xrpc/com.atproto.server.getSession", method: .get, headers: Server.bearer(tokens.accessJwt))
            #expect(Server.object(session)["emailConfirmed"] as? Bool == true)

            // Confirmed: a code is needed; app passwords may not change the address.
            let byAppPassword = try await Self.post(client, "com.atproto.server.requestEmailUpdate", token: appPassword.accessJwt)
            #expect(Self.error(byAppPassword) == "InvalidToken")
            let required = try await Self.post(client, "com.atproto.server.requestEmailUpdate", token: tokens.accessJwt)
            #expect(Server.object(required)["tokenRequired"] as? Bool == true)
            let updateCode = try #require(mailer.lastCode)
            let withoutCode = try await Self.post(client, "com.atproto.server.updateEmail", ["email": "new@example.com"], token: tokens.accessJwt)
            #expect(Self.error(withoutCode) == "TokenRequired")
            let invalidAddress = try await Self.post(
                client, "com.atproto.server.updateEmail", ["email": "not an address", "token": updateCode], token: tokens.accessJwt)
            #expect(Self.error(invalidAddress) == "InvalidRequest")
            _ = try await server.createAccount(handle: "bob.pds.example.com", email: "bob@example.com")
            let taken = try await Self.post(
                client, "com.atproto.server.updateEmail", ["email": "Bob@example.com", "token": updateCode], token: tokens.accessJwt)
            #expect(Server.object(taken)["message"] as? String == "This email address is already in use, please use a different email.")
            let updated = try await Self.post(
                client, "com.atproto.server.updateEmail", ["email": "New@Example.com", "token": updateCode], token: tokens.accessJwt)
            #expect(updated.status == .ok)
            let after = try await client.execute(uri: "/xrpc/com.atproto.server.getSession", method: .get, headers: Server.bearer(tokens.accessJwt))
            #expect(Server.object(after)["email"] as? String == "new@example.com")
            #expect(Server.object(after)["emailConfirmed"] as? Bool == false)
        }
        #expect(server.sample("pds_emails_sent_total", labels: ["purpose": "confirm_email", "result": "ok"]) == 1)
        #expect(server.sample("pds_emails_sent_total", labels: ["purpose": "update_email", "result": "ok"]) == 1)
    }

    @Test func resetThePasswordByEmail() async throws {
        let mailer = RecordingMailer()
        let server = try await Server(mailer: mailer)
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com", password: "old password", email: "alice@example.com")
        let tokens = try await server.issueSession(did: alice.did)
        try await server.test { client in
            // Unknown addresses get the same answer and no mail.
            #expect(try await Self.post(client, "com.atproto.server.requestPasswordReset", ["email": "nobody@example.com"]).status == .ok)
            #expect(mailer.messages.isEmpty)
            #expect(try await Self.post(client, "com.atproto.server.requestPasswordReset", ["email": "Alice@Example.com"]).status == .ok)
            #expect(mailer.messages.last?.subject == "Password Reset Requested")
            #expect(mailer.messages.last?.text.contains("alice.pds.example.com") == true)
            let code = try #require(mailer.lastCode)
            let wrong = try await Self.post(client, "com.atproto.server.resetPassword", ["token": "BBBBB-BBBBB", "password": "new password"])
            #expect(Self.error(wrong) == "InvalidToken")
            let empty = try await Self.post(client, "com.atproto.server.resetPassword", ["token": code, "password": ""])
            #expect(Self.error(empty) == "InvalidPassword")
            #expect(try await Self.post(client, "com.atproto.server.resetPassword", ["token": code, "password": "new password"]).status == .ok)
            // Sessions are revoked; the new password logs in, the old one not.
            let refresh = try await client.execute(
                uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Server.bearer(tokens.refreshJwt))
            #expect(refresh.status == .badRequest)
            let login = try await Self.post(
                client, "com.atproto.server.createSession", ["identifier": "alice.pds.example.com", "password": "new password"])
            #expect(login.status == .ok)
            let old = try await Self.post(
                client, "com.atproto.server.createSession", ["identifier": "alice.pds.example.com", "password": "old password"])
            #expect(old.status == .unauthorized)
            let reused = try await Self.post(client, "com.atproto.server.resetPassword", ["token": code, "password": "third password"])
            #expect(Self.error(reused) == "InvalidToken")
        }
    }

    @Test func codesExpireAfterFifteenMinutes() async throws {
        let mailer = RecordingMailer()
        let server = try await Server(mailer: mailer)
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com", email: "alice@example.com")
        let tokens = try await server.issueSession(did: alice.did)
        let code = try await server.services.accounts.createEmailToken(
            did: alice.did, purpose: .confirmEmail, now: Date().addingTimeInterval(-16 * 60))
        try await server.test { client in
            let expired = try await Self.post(
                client, "com.atproto.server.confirmEmail", ["email": "alice@example.com", "token": code], token: tokens.accessJwt)
            #expect(expired.status == .badRequest && Self.error(expired) == "ExpiredToken")
        }
        #expect(AccountStore.newEmailToken().wholeMatch(of: /[A-Z2-7]{5}-[A-Z2-7]{5}/) != nil)
    }

    @Test func deleteTheAccountWithPasswordAndCode() async throws {
        let mailer = RecordingMailer()
        let server = try await Server(mailer: mailer)
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com", password: "secret password", email: "alice@example.com")
        let tokens = try await server.issueSession(did: alice.did)
        try await server.test { client in
            #expect(try await Self.post(client, "com.atproto.server.requestAccountDelete", token: tokens.accessJwt).status == .ok)
            let code = try #require(mailer.lastCode)
            let wrongPassword = try await Self.post(
                client, "com.atproto.server.deleteAccount", ["did": alice.did, "password": "guess", "token": code])
            #expect(wrongPassword.status == .unauthorized)
            let wrongCode = try await Self.post(
                client, "com.atproto.server.deleteAccount", ["did": alice.did, "password": "secret password", "token": "CCCCC-CCCCC"])
            #expect(Self.error(wrongCode) == "InvalidToken")
            let unknown = try await Self.post(
                client, "com.atproto.server.deleteAccount", ["did": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", "password": "x", "token": code])
            #expect(unknown.status == .badRequest)
            let deleted = try await Self.post(
                client, "com.atproto.server.deleteAccount", ["did": alice.did, "password": "secret password", "token": code])
            #expect(deleted.status == .ok)
        }
        #expect(try await server.services.accounts.account(did: alice.did) == nil)
        let tokensLeft = try await server.database.read(kind: "test") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM email_token") }
        #expect(tokensLeft == 0)
    }

    @Test func codeRequestsAreLimitedPerAccountWithTheHeaders() async throws {
        let mailer = RecordingMailer()
        let server = try await Server(rateLimits: RateLimitSettings(), mailer: mailer)
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com", email: "alice@example.com")
        let tokens = try await server.issueSession(did: alice.did)
        try await server.test { client in
            for remaining in (0..<5).reversed() {
                let response = try await Self.post(client, "com.atproto.server.requestEmailConfirmation", token: tokens.accessJwt)
                #expect(response.status == .ok)
                #expect(response.headers[RateLimiter.remainingHeader] == "\(remaining)")
            }
            let refused = try await Self.post(client, "com.atproto.server.requestEmailConfirmation", token: tokens.accessJwt)
            #expect(refused.status == .tooManyRequests && Self.error(refused) == "RateLimitExceeded")
        }
        #expect(mailer.messages.count == 5)
    }

    @Test func withoutAMailerTheFlowsSaySoAndStoreNothing() async throws {
        let server = try await Server()
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com", email: "alice@example.com")
        let tokens = try await server.issueSession(did: alice.did)
        try await server.test { client in
            for response in [
                try await Self.post(client, "com.atproto.server.requestEmailConfirmation", token: tokens.accessJwt),
                try await Self.post(client, "com.atproto.server.requestPasswordReset", ["email": "alice@example.com"]),
                try await Self.post(client, "com.atproto.server.requestAccountDelete", token: tokens.accessJwt),
            ] {
                #expect(response.status == .badRequest)
                #expect(Server.object(response)["message"] as? String == EmailRoutes.noMailer)
            }
        }
        let stored = try await server.database.read(kind: "test") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM email_token") }
        #expect(stored == 0)
    }

    @Test func aFailingMailerIsAnErrorAndCounted() async throws {
        let mailer = RecordingMailer()
        mailer.failing.store(true, ordering: .relaxed)
        let server = try await Server(mailer: mailer)
        defer { server.close() }
        let alice = try await server.createAccount(handle: "alice.pds.example.com", email: "alice@example.com")
        let tokens = try await server.issueSession(did: alice.did)
        try await server.test { client in
            let response = try await Self.post(client, "com.atproto.server.requestEmailConfirmation", token: tokens.accessJwt)
            #expect(response.status == .internalServerError)
        }
        #expect(server.sample("pds_emails_sent_total", labels: ["purpose": "confirm_email", "result": "error"]) == 1)
        #expect(server.logs.entries.contains { $0.metadata["event"] == "email_failed" && $0.metadata["token"] == nil })
    }

    @Test func signAPLCOperationWithAnEmailedCode() async throws {
        let mailer = RecordingMailer()
        try await AccountsHarness.with(mailer: mailer) { harness in
            try await harness.test { client in
                let created = try await AccountsHarness.createAccount(client, AccountsHarness.input("alice"))
                #expect(created.status == .ok)
                let account = AccountsHarness.object(created)
                let did = try #require(account["did"] as? String)
                let access = try #require(account["accessJwt"] as? String)
                let withoutCode = try await Self.post(client, "com.atproto.identity.signPlcOperation", [:], token: access)
                #expect(withoutCode.status == .badRequest)
                #expect(try await Self.post(client, "com.atproto.identity.requestPlcOperationSignature", token: access).status == .ok)
                #expect(mailer.messages.last?.subject == "PLC Update Operation Requested")
                let code = try #require(mailer.lastCode)
                let newKey = K256PrivateKey().publicKey.didKey
                let signed = try await Self.post(
                    client, "com.atproto.identity.signPlcOperation",
                    ["token": code, "rotationKeys": [newKey, harness.rotationKey.publicKey.didKey],
                     "services": ["atproto_pds": ["type": "AtprotoPersonalDataServer", "endpoint": "https://new.example.org"]]],
                    token: access)
                #expect(signed.status == .ok)
                let operation = try #require(AccountsHarness.object(signed)["operation"])
                let json = try JSONSerialization.data(withJSONObject: operation)
                let parsed = try SignedPLCOperation(json: Array(json))
                let last = try #require(harness.plc.operations(did: did).last)
                #expect(parsed.operation.prev == last.cid().string)
                #expect(parsed.operation.rotationKeys == [newKey, harness.rotationKey.publicKey.didKey])
                #expect(parsed.operation.pdsEndpoint == "https://new.example.org")
                #expect(parsed.operation.alsoKnownAs == last.operation.alsoKnownAs)
                #expect(parsed.verify(rotationKeys: last.operation.rotationKeys))
                // The code is used up.
                let again = try await Self.post(client, "com.atproto.identity.signPlcOperation", ["token": code], token: access)
                #expect(Self.error(again) == "InvalidToken")
            }
        }
    }

    @Test func sendmailGetsTheMessageOnStandardInput() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sendmail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("sendmail")
        let output = dir.appendingPathComponent("message.txt")
        try Data("#!/bin/sh\necho \"$@\" > '\(output.path).args'\ncat > '\(output.path)'\n".utf8).write(to: script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        let mailer = SendmailMailer(path: script.path, from: "PDS <pds@example.com>")
        try await mailer.send(MailMessage(to: "alice@example.com", subject: "Grüße", text: "line one\nline two"))
        let written = try String(contentsOf: output, encoding: .utf8)
        #expect(written.contains("From: PDS <pds@example.com>\r\n"))
        #expect(written.contains("To: alice@example.com\r\n"))
        #expect(written.contains("Subject: =?UTF-8?B?\(Data("Grüße".utf8).base64EncodedString())?=\r\n"))
        #expect(written.hasSuffix("\r\n\r\nline one\r\nline two\r\n"))
        #expect(try String(contentsOf: URL(fileURLWithPath: output.path + ".args"), encoding: .utf8) == "-t -i\n")

        let failing = dir.appendingPathComponent("failing")
        try Data("#!/bin/sh\ncat >/dev/null\necho 'relay refused' >&2\nexit 75\n".utf8).write(to: failing)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: failing.path)
        await #expect(throws: MailerError.self) {
            try await SendmailMailer(path: failing.path, from: "pds@example.com").send(MailMessage(to: "a@b.c", subject: "s", text: "t"))
        }
        // A program that exits without reading a message larger than a pipe holds: an error, not SIGPIPE.
        let deaf = dir.appendingPathComponent("deaf")
        try Data("#!/bin/sh\nexit 1\n".utf8).write(to: deaf)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: deaf.path)
        await #expect(throws: MailerError.self) {
            try await SendmailMailer(path: deaf.path, from: "pds@example.com")
                .send(MailMessage(to: "a@b.c", subject: "s", text: String(repeating: "x", count: 1_000_000)))
        }
        await #expect(throws: MailerError.self) {
            try await SendmailMailer(path: dir.appendingPathComponent("missing").path, from: "pds@example.com")
                .send(MailMessage(to: "a@b.c", subject: "s", text: "t"))
        }
    }
}
