import Foundation
import PDSTestSupport
import Testing

/// `pds account ...` and `pds invite ...` against a live child server whose accounts register with a
/// ``TestPLCDirectory``; the commands read the admin password from the server's data folder.
@Suite struct AdminCLITests {
    typealias Result = (status: Int32, stdout: String, stderr: String)

    /// Runs `pds` to completion on its own thread (the wait polls and sleeps; the PLC directory's handlers
    /// need the cooperative pool meanwhile).
    static func pds(_ arguments: [String], environment: [String: String] = PDSProcess.baseEnvironment(), in dir: TempDirectory)
        async throws -> Result
    {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Swift.Result { try PDSProcess.run(arguments, environment: environment, directory: dir.url) })
            }.start()
        }
    }

    static func json(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    @Test func accountAndInviteCommandsManageALiveServer() async throws {
        let plc = try await TestPLCDirectory.start()
        let dir = try TempDirectory()
        var environment = PDSProcess.baseEnvironment()
        environment["PDS_DID_PLC_URL"] = plc.url
        let server = try LiveServer(dir: dir, environment: environment)
        try server.start()
        defer {
            server.process.stop()
            dir.remove()
        }
        let target = ["--data-dir", server.dataDirectory.path, "--url", "http://127.0.0.1:\(server.port)"]

        // Invite codes, one per line.
        let invites = try await Self.pds(["invite", "create", "--count", "2"] + target, in: dir)
        #expect(invites.status == 0, "\(invites.stderr)")
        let codes = invites.stdout.split(separator: "\n").map(String.init)
        #expect(codes.count == 2)

        // An account with one of them (JSON), another with a code made on the fly (text, generated password).
        let alice = try await Self.pds(
            ["account", "create", "--handle", "alice.test", "--email", "alice@example.com", "--password", "alice pw 1",
             "--invite", codes[0], "--json"] + target, in: dir)
        #expect(alice.status == 0, "\(alice.stderr)")
        let aliceObject = try #require(Self.json(alice.stdout) as? [String: Any])
        let aliceDID = try #require(aliceObject["did"] as? String)
        #expect(aliceObject["handle"] as? String == "alice.test")
        #expect(aliceObject["password"] == nil)
        let bob = try await Self.pds(["account", "create", "--handle", "bob.test", "--email", "bob@example.com"] + target, in: dir)
        #expect(bob.status == 0, "\(bob.stderr)")
        #expect(bob.stdout.contains("did:"))
        #expect(bob.stdout.contains("password:"))
        #expect(plc.dids.count == 2)

        // Listing: a table by default, JSON for scripts.
        let list = try await Self.pds(["account", "list"] + target, in: dir)
        #expect(list.status == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("DID") == true)
        #expect(lines.count == 3)
        #expect(list.stdout.contains("alice.test") && list.stdout.contains("bob.test"))
        let listed = try #require(Self.json(try await Self.pds(["account", "list", "--json"] + target, in: dir).stdout) as? [[String: Any]])
        #expect(Set(listed.compactMap { $0["handle"] as? String }) == ["alice.test", "bob.test"])

        // Info by handle, takedown, and the takedown visible in info.
        let info = try await Self.pds(["account", "info", "alice.test"] + target, in: dir)
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains(aliceDID))
        #expect(info.stdout.contains("alice@example.com"))
        #expect(info.stdout.contains("active"))
        let takedown = try await Self.pds(["account", "takedown", "alice.test", "--ref", "ticket-7"] + target, in: dir)
        #expect(takedown.status == 0, "\(takedown.stderr)")
        #expect(takedown.stdout.contains("taken down: \(aliceDID)"))
        let downInfo = try #require(
            Self.json(try await Self.pds(["account", "info", aliceDID, "--json"] + target, in: dir).stdout) as? [String: Any])
        #expect((downInfo["account"] as? [String: Any])?["status"] as? String == "takendown")
        #expect(((downInfo["subjectStatus"] as? [String: Any])?["takedown"] as? [String: Any])?["ref"] as? String == "ticket-7")
        // A taken-down account's handle no longer resolves: the command says to use the DID.
        let byHandle = try await Self.pds(["account", "untakedown", "alice.test"] + target, in: dir)
        #expect(byHandle.status == 1)
        #expect(byHandle.stderr.contains("DID"))
        let untakedown = try await Self.pds(["account", "untakedown", aliceDID] + target, in: dir)
        #expect(untakedown.status == 0, "\(untakedown.stderr)")

        // Password reset prints the generated password once.
        let reset = try await Self.pds(["account", "reset-password", aliceDID, "--json"] + target, in: dir)
        #expect(reset.status == 0, "\(reset.stderr)")
        let password = (Self.json(reset.stdout) as? [String: Any])?["password"] as? String
        #expect(password?.count == 24)

        // Delete needs --yes; afterwards the account is gone.
        let unconfirmed = try await Self.pds(["account", "delete", aliceDID] + target, in: dir)
        #expect(unconfirmed.status == 64)
        #expect(unconfirmed.stderr.contains("--yes"))
        let delete = try await Self.pds(["account", "delete", aliceDID, "--yes"] + target, in: dir)
        #expect(delete.status == 0, "\(delete.stderr)")
        let gone = try await Self.pds(["account", "info", aliceDID] + target, in: dir)
        #expect(gone.status == 1)
        #expect(gone.stderr.hasPrefix("pds: "))
        #expect(gone.stderr.contains("NotFound"))
        #expect(gone.stderr.split(separator: "\n").count == 1)

        // The gauge follows: one active account left.
        let metrics = try server.get("/metrics").body
        #expect(LiveServer.sample(metrics, "pds_accounts{status=\"active\"}") == 1)
        #expect(LiveServer.sample(metrics, "pds_account_events_total{type=\"deleted\"}") == 1)

        // Errors: wrong password (1), nobody listening (69), no admin password at all (78).
        var wrong = PDSProcess.baseEnvironment()
        wrong["PDS_ADMIN_PASSWORD"] = "not-the-password"
        let refused = try await Self.pds(["account", "list"] + target, environment: wrong, in: dir)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("AuthenticationRequired"))
        let unreachable = try await Self.pds(
            ["account", "list", "--data-dir", server.dataDirectory.path, "--url", "http://127.0.0.1:1"], in: dir)
        #expect(unreachable.status == 69)
        #expect(unreachable.stderr.contains("cannot reach"))
        let empty = dir.url.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let unconfigured = try await Self.pds(["account", "list", "--data-dir", empty.path, "--url", "http://127.0.0.1:1"], in: dir)
        #expect(unconfigured.status == 78)
        #expect(unconfigured.stderr.contains("admin password"))
        await plc.stop()
    }
}
