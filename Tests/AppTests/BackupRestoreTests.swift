import ATProto
import Foundation
import GRDB
import Logging
import PDSTestSupport
import Storage
import Synchronization
import Testing

/// `pds backup`, `pds restore`, `pds usage` and `pds status` against real child servers.
@Suite struct BackupRestoreTests {
    // Blocking work (child processes, blocking sockets) runs through `onOwnThread`, off the cooperative pool (the
    // test PLC directory needs it). Expectations failing there still fail the run (swift-testing reports them
    // without the test's name).

    static func environment(plc: TestPLCDirectory) -> [String: String] {
        var environment = PDSProcess.baseEnvironment()
        environment["PDS_DID_PLC_URL"] = plc.url
        environment["PDS_INVITE_REQUIRED"] = "false"
        environment["PDS_RATE_LIMITS_ENABLED"] = "false"
        return environment
    }

    // MARK: XRPC over the blocking test client

    struct Client: Sendable {
        let port: Int

        func json(_ method: String, _ path: String, token: String? = nil, body: [String: Any]? = nil) throws
            -> [String: Any]
        {
            var headers: [String: String] = [:]
            if let token { headers["Authorization"] = "Bearer \(token)" }
            var bytes: [UInt8] = []
            if let body {
                headers["Content-Type"] = "application/json"
                bytes = Array(try JSONSerialization.data(withJSONObject: body))
            }
            return try Self.decode(HTTPClient.request(method, port: port, path: path, headers: headers, body: bytes))
        }

        func upload(_ bytes: [UInt8], token: String) throws -> [String: Any] {
            let response = try HTTPClient.request(
                "POST", port: port, path: "/xrpc/com.atproto.repo.uploadBlob",
                headers: ["Authorization": "Bearer \(token)", "Content-Type": "image/png"], body: bytes)
            return try #require(Self.decode(response)["blob"] as? [String: Any])
        }

        static func decode(_ response: HTTPClient.Response) throws -> [String: Any] {
            guard response.status == 200 else { throw TestFailure("HTTP \(response.status): \(response.body)") }
            return try #require(JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        }

        func createAccount(_ name: String) throws -> (did: String, token: String) {
            let output = try json(
                "POST", "/xrpc/com.atproto.server.createAccount",
                body: ["handle": "\(name).test", "email": "\(name)@example.com", "password": "correct horse \(name)"])
            return (try #require(output["did"] as? String), try #require(output["accessJwt"] as? String))
        }

        /// A post embedding `blob` (an uploadBlob output); returns the record's rkey and CID.
        func post(did: String, token: String, text: String, blob: [String: Any]?) throws -> (rkey: String, cid: String) {
            var record: [String: Any] = [
                "$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-11-29T18:00:00.000Z",
            ]
            if let blob {
                record["embed"] = [
                    "$type": "app.bsky.embed.images", "images": [["alt": text, "image": blob]],
                ]
            }
            let output = try json(
                "POST", "/xrpc/com.atproto.repo.createRecord", token: token,
                body: ["repo": did, "collection": "app.bsky.feed.post", "record": record])
            let uri = try #require(output["uri"] as? String)
            return (String(uri.split(separator: "/").last ?? ""), try #require(output["cid"] as? String))
        }
    }

    /// An acknowledged write: a post and, for some, the blob it embeds.
    struct Acked: Sendable {
        let rkey: String
        let cid: String
        let blobCID: String?
        let blobBytes: [UInt8]?
    }

    final class WriterState: Sendable {
        let acked = Mutex<[Acked]>([])
        let stop = Atomic<Bool>(false)
        let failure = Mutex<String?>(nil)
    }

    static func png(_ index: Int) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array("blob number \(index) ".utf8)
            + [UInt8](repeating: UInt8(index % 251), count: 200 + index)
    }

    @Test func backupUnderConcurrentWritesRestoresIntoAWorkingServer() async throws {
        let plc = try await TestPLCDirectory.start()
        let dir = try TempDirectory()
        let restoredDir = try TempDirectory()
        defer {
            dir.remove()
            restoredDir.remove()
        }
        let environment = Self.environment(plc: plc)
        let backupFolder = dir.url.appendingPathComponent("backup")

        let (did, before, manifestText) = try await onOwnThread {
            () throws -> (String, [Acked], String) in
            let server = try LiveServer(dir: dir, environment: environment)
            try server.start()
            defer { server.process.stop() }
            let client = Client(port: server.port)
            let account = try client.createAccount("alice")

            // A writer that keeps posting (every third post with a new blob) until told to stop.
            let state = WriterState()
            let finished = DispatchSemaphore(value: 0)
            Thread {
                var index = 0
                while !state.stop.load(ordering: .relaxed) {
                    do {
                        var blob: [String: Any]?
                        var bytes: [UInt8]?
                        if index % 3 == 0 {
                            bytes = Self.png(index)
                            blob = try client.upload(bytes!, token: account.token)
                        }
                        let written = try client.post(did: account.did, token: account.token, text: "post \(index)", blob: blob)
                        let blobCID = (blob?["ref"] as? [String: Any])?["$link"] as? String
                        state.acked.withLock {
                            $0.append(Acked(rkey: written.rkey, cid: written.cid, blobCID: blobCID, blobBytes: bytes))
                        }
                    } catch {
                        state.failure.withLock { $0 = "\(error)" }
                        break
                    }
                    index += 1
                }
                finished.signal()
            }.start()
            #expect(PDSProcess.waitUntil(timeout: .seconds(120)) { state.acked.withLock { $0.count } >= 15 || state.failure.withLock { $0 } != nil })
            let before = state.acked.withLock { $0 }
            let backup = try PDSProcess.run(
                ["backup", backupFolder.path, "--data-dir", server.dataDirectory.path], environment: environment,
                directory: dir.url)
            let countAfterBackup = state.acked.withLock { $0.count }
            // Let the writer run on a little after the backup too, then stop it.
            _ = PDSProcess.waitUntil(timeout: .seconds(30)) { state.acked.withLock { $0.count } >= countAfterBackup + 3 }
            state.stop.store(true, ordering: .relaxed)
            finished.wait()
            #expect(state.failure.withLock { $0 } == nil, "writer failed: \(state.failure.withLock { $0 } ?? "")")
            #expect(backup.status == 0, "pds backup: \(backup.stderr)")
            #expect(backup.stdout.contains("backup written to"))
            #expect(state.acked.withLock { $0.count } > before.count, "no write happened during or after the backup")
            #expect(server.process.isRunning)

            let usage = try PDSProcess.run(
                ["usage", "--json", "--data-dir", server.dataDirectory.path], environment: environment, directory: dir.url)
            #expect(usage.status == 0, "pds usage: \(usage.stderr)")
            let usageJSON = try #require(JSONSerialization.jsonObject(with: Data(usage.stdout.utf8)) as? [String: Any])
            let rows = try #require(usageJSON["accounts"] as? [[String: Any]])
            let alice = try #require(rows.first { $0["did"] as? String == account.did })
            #expect((alice["records"] as? Int).map { $0 >= before.count } == true)
            #expect((alice["blob_bytes"] as? Int).map { $0 > 0 } == true)
            #expect((usageJSON["total"] as? [String: Any])?["blobs"] as? Int == alice["blobs"] as? Int)
            let table = try PDSProcess.run(
                ["usage", "--data-dir", server.dataDirectory.path], environment: environment, directory: dir.url)
            #expect(table.stdout.contains("alice.test"))
            #expect(table.stdout.contains("total"))
            #expect(server.terminate() == 0)
            let manifest = try String(contentsOf: backupFolder.appendingPathComponent("manifest.json"), encoding: .utf8)
            return (account.did, before, manifest)
        }
        #expect(before.count >= 15)
        let manifest = try #require(JSONSerialization.jsonObject(with: Data(manifestText.utf8)) as? [String: Any])
        let backedUpHead = try #require((manifest["head_seq"] as? NSNumber)?.int64Value)

        // Verify, refuse a non-empty target, restore into an empty one, start a server on it.
        try await onOwnThread { () throws in
            let verify = try PDSProcess.run(["backup", "--verify", backupFolder.path], directory: dir.url)
            #expect(verify.status == 0, "pds backup --verify: \(verify.stderr)")
            #expect(verify.stdout.contains("verified:"))
            let refused = try PDSProcess.run(
                ["restore", backupFolder.path, "--data-dir", dir.url.appendingPathComponent("data").path],
                directory: dir.url)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("not empty"), "\(refused.stderr)")
            let restoredData = restoredDir.url.appendingPathComponent("data")
            let restore = try PDSProcess.run(
                ["restore", backupFolder.path, "--data-dir", restoredData.path], directory: restoredDir.url)
            #expect(restore.status == 0, "pds restore: \(restore.stderr)")

            let server = try LiveServer(dir: restoredDir, environment: environment)
            try server.start()
            defer { server.process.stop() }
            let client = Client(port: server.port)
            for write in before {
                let record = try client.json(
                    "GET",
                    "/xrpc/com.atproto.repo.getRecord?repo=\(did)&collection=app.bsky.feed.post&rkey=\(write.rkey)")
                #expect(record["cid"] as? String == write.cid)
            }
            for write in before {
                guard let cid = write.blobCID else { continue }
                let file = restoredData.appendingPathComponent("blobs/\(did)/\(cid)")
                #expect(FileManager.default.contents(atPath: file.path).map { [UInt8]($0) } == write.blobBytes)
            }
            // The restored server takes writes (same secrets: the old session token still works? No: log in anew).
            let session = try client.json(
                "POST", "/xrpc/com.atproto.server.createSession",
                body: ["identifier": "alice.test", "password": "correct horse alice"])
            let token = try #require(session["accessJwt"] as? String)
            _ = try client.post(did: did, token: token, text: "after restore", blob: nil)
            #expect(server.terminate() == 0)
        }

        // Every repository of the restored database verifies (commit signature, MST, record blocks), and holds every
        // write acknowledged before the backup started.
        let database = try await Storage.Database.open(
            path: restoredDir.url.appendingPathComponent("data/pds.sqlite").path,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { try? database.close() }
        // The firehose continues right above the backed-up head (read from the log: the head gauge is updated by
        // the sequencer a moment after the write is acknowledged).
        let newSeq = try await database.read(kind: "test") { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(seq) FROM firehose_event WHERE seq > ?", arguments: [backedUpHead])
        }
        #expect(newSeq == backedUpHead + 1)
        let repos = RepoStore(database: database)
        let dids = try await database.read(kind: "test") { db in try String.fetchAll(db, sql: "SELECT did FROM repo_root") }
        #expect(dids == [did])
        for repoDID in dids {
            let head = try #require(try await repos.head(did: repoDID))
            let blocks = try await database.read(kind: "test") { db in
                var blocks: [CID: [UInt8]] = [:]
                for sql in [
                    "SELECT cid, content FROM repo_block WHERE did = ?", "SELECT cid, content FROM record WHERE did = ?",
                ] {
                    for row in try Row.fetchAll(db, sql: sql, arguments: [repoDID]) {
                        blocks[try CID(bytes: row["cid"] as Data)] = [UInt8](row["content"] as Data)
                    }
                }
                return blocks
            }
            let key = try await repos.signingPublicKey(did: repoDID)
            let verified = try RepoExport.verify(commit: head.commitCID, blocks: blocks, did: repoDID, key: key)
            let leaves = Dictionary(uniqueKeysWithValues: verified.records.map { ($0.key, $0.value.string) })
            for write in before {
                #expect(leaves["app.bsky.feed.post/\(write.rkey)"] == write.cid)
            }
        }
        await plc.stop()
    }

    @Test func scheduledBackupAndStatus() async throws {
        let plc = try await TestPLCDirectory.start()
        let dir = try TempDirectory()
        defer { dir.remove() }
        var settings = Self.environment(plc: plc)
        let backups = dir.url.appendingPathComponent("backups")
        settings["PDS_BACKUP_DIRECTORY"] = backups.path
        settings["PDS_BACKUP_KEEP"] = "2"
        let environment = settings
        // Two old complete backups and an interrupted one: the new one is taken at start, then pruning keeps two.
        for (name, complete) in [
            ("pds-backup-20200101T000000Z", true), ("pds-backup-20200102T000000Z", false),
            ("pds-backup-20200103T000000Z", true),
        ] {
            let folder = backups.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            if complete { try Data("{}".utf8).write(to: folder.appendingPathComponent("manifest.json")) }
        }
        try await onOwnThread {
            let server = try LiveServer(dir: dir, environment: environment)
            try server.start()
            defer { server.process.stop() }
            let account = try Client(port: server.port).createAccount("carol")

            var metrics = ""
            #expect(PDSProcess.waitUntil(timeout: .seconds(60)) {
                metrics = (try? server.get("/metrics").body) ?? ""
                return LiveServer.sample(metrics, "pds_backups_total{result=\"ok\"}") == 1
            }, "no scheduled backup; stderr:\n\(server.process.stderr)")
            #expect(LiveServer.sample(metrics, "pds_last_backup_timestamp_seconds").map { $0 > 1_700_000_000 } == true)
            #expect(LiveServer.sample(metrics, "pds_last_backup_bytes").map { $0 > 0 } == true)
            #expect(metrics.contains("pds_backup_duration_seconds_count 1"))
            _ = PDSProcess.waitUntil(timeout: .seconds(10)) {
                ((try? FileManager.default.contentsOfDirectory(atPath: backups.path)) ?? []).count == 2
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: backups.path).sorted()
            #expect(names.count == 2)
            #expect(names.first == "pds-backup-20200103T000000Z")
            let newest = try #require(names.last)
            let verify = try PDSProcess.run(
                ["backup", "--verify", "--json", backups.appendingPathComponent(newest).path], directory: dir.url)
            #expect(verify.status == 0, "\(verify.stderr)")

            let up = try PDSProcess.run(
                ["status", "--json", "--port", "\(server.port)", "--data-dir", server.dataDirectory.path],
                environment: environment, directory: dir.url)
            #expect(up.status == 0, "pds status: \(up.stdout) \(up.stderr)")
            let report = try #require(JSONSerialization.jsonObject(with: Data(up.stdout.utf8)) as? [String: Any])
            #expect(report["running"] as? Bool == true)
            #expect(report["ready"] as? Bool == true)
            #expect(report["version"] as? String == "0.1.0")
            #expect((report["head_seq"] as? NSNumber) != nil)
            if let subscribers = report["firehose_subscribers"] as? Int { #expect(subscribers == 0) }
            #expect((report["accounts"] as? [String: Int])?.values.reduce(0, +) == 1)
            #expect((report["database_bytes"] as? Int).map { $0 > 0 } == true)
            #expect(report["last_backup"] != nil)
            _ = account
            #expect(server.terminate() == 0)

            let down = try PDSProcess.run(
                ["status", "--port", "\(server.port)", "--data-dir", server.dataDirectory.path],
                environment: environment, directory: dir.url)
            #expect(down.status == 3)
            #expect(down.stdout.contains("not running"))
            #expect(down.stdout.contains("accounts:"))
            #expect(down.stdout.contains("active=1"), "\(down.stdout)")
        }
        await plc.stop()
    }
}
