import Foundation
import Testing

/// The real `pds serve` process: health, metrics, readiness failure, secrets handling.
@Suite struct LiveServerTests {
    @Test func servesHealthAndMetricsThatPassPromtool() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let server = try LiveServer(dir: dir)
        try server.start()
        defer { server.process.stop() }

        let health = try server.get("/xrpc/_health")
        #expect(health.status == 200)
        #expect(health.body.contains("\"version\":\"0.1.0\"") || health.body.contains("\"version\": \"0.1.0\""))
        #expect(try server.get("/livez").status == 200)
        let ready = try server.get("/readyz?verbose")
        #expect(ready.status == 200, "\(ready.body)")
        for check in ["database", "migrations", "disk_space"] {
            #expect(ready.body.contains("[+]\(check) ok"), "\(ready.body)")
        }
        let live = try server.get("/livez?verbose")
        for check in ["event_loop", "database_read"] {
            #expect(live.body.contains("[+]\(check) ok"), "\(live.body)")
        }

        let first = try server.get("/metrics")
        #expect(first.status == 200)
        #expect(first.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        for _ in 0..<3 { _ = try server.get("/xrpc/_health") }
        let second = try server.get("/metrics").body
        let series = "pds_http_requests_total{method=\"GET\",route=\"/xrpc/_health\",code=\"200\"}"
        let healthRoute = second.split(separator: "\n").first {
            $0.hasPrefix("pds_http_requests_total{") && $0.contains("_health") && $0.contains("\"200\"")
        }
        let count = healthRoute.flatMap { Double($0.split(separator: " ").last ?? "") }
        #expect(count.map { $0 >= 4 } == true, "no moving _health request counter; looked for \(series)")
        #expect(second.contains("pds_build_info{"))
        #expect(second.contains("version=\"0.1.0\""))
        #expect(LiveServer.sample(second, "pds_sqlite_db_bytes").map { $0 > 0 } == true)
        #expect(LiveServer.sample(second, "pds_disk_free_bytes").map { $0 > 0 } == true)
        #expect(second.contains("pds_db_query_duration_seconds_bucket{kind=\"migrate\""))
        #expect(second.contains("process_resident_memory_bytes"))
        for queue in ["db_read", "repo_commit", "repo_prepare", "file_work", "journal", "firehose_inbox"] {
            #expect(LiveServer.sample(second, "pds_work_queue_jobs{queue=\"\(queue)\"}") != nil, "\(queue)")
        }

        if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
            let file = dir.url.appendingPathComponent("metrics.txt")
            try Data(second.utf8).write(to: file)
            let promtool = Process()
            promtool.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
            promtool.arguments = ["check", "metrics"]
            promtool.standardInput = try FileHandle(forReadingFrom: file)
            let output = Pipe()
            promtool.standardOutput = output
            promtool.standardError = output
            try promtool.run()
            promtool.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(promtool.terminationStatus == 0, "promtool: \(text)")
        } else {
            print("promtool not installed (Debian package prometheus): skipped the promtool check")
        }

        #expect(server.terminate() == 0)
        let events = server.process.logEvents
        let start = try #require(events.first { ($0["msg"] as? String) == "starting pds" })
        #expect(start["version"] as? String == "0.1.0")
        #expect(start["data_dir"] as? String == server.dataDirectory.path)
        #expect((start["bind"] as? String)?.hasPrefix("127.0.0.1:") == true)
        // Request handlers run on NIO's event loops (PDSCommand.main), not on the cooperative pool.
        #expect(start["executor"] as? String == "event_loops")
        #expect(events.contains { ($0["msg"] as? String) == "stopped" })
    }

    @Test func readinessFailsAndNamesTheCheckWhenTheDatabaseFileIsRemoved() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let server = try LiveServer(dir: dir)
        try server.start()
        defer { server.process.stop() }
        #expect(try server.get("/readyz").status == 200)

        try FileManager.default.removeItem(at: server.dataDirectory.appendingPathComponent("pds.sqlite"))
        let ready = try server.get("/readyz?verbose")
        #expect(ready.status == 503)
        #expect(ready.body.contains("[-]database failed"), "\(ready.body)")
        #expect(ready.body.contains("[+]disk_space ok"), "\(ready.body)")
        #expect(try server.get("/readyz/database").status == 503)
        #expect(try server.get("/readyz/disk_space").status == 200)
        // atproto health reports the same (after its short cache).
        Thread.sleep(forTimeInterval: 1.2)
        #expect(try server.get("/xrpc/_health").status == 503)
        // The reason is only in the log.
        #expect(!ready.body.contains("deleted"))
        #expect(server.process.stderr.contains("missing (deleted or moved while open)"))
        #expect(server.terminate() == 0)
    }

    @Test func readinessFailsWhenDiskFreeIsBelowTheFloor() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var environment = PDSProcess.baseEnvironment()
        environment["PDS_DISK_FREE_FLOOR_BYTES"] = String(Int.max)
        let server = try LiveServer(dir: dir, environment: environment)
        try server.start()
        defer { server.process.stop() }
        let ready = try server.get("/readyz?verbose")
        #expect(ready.status == 503)
        #expect(ready.body.contains("[-]disk_space failed"), "\(ready.body)")
        #expect(ready.body.contains("[+]database ok"), "\(ready.body)")
        #expect(server.terminate() == 0)
    }

    @Test func secretsAreGeneratedOnceKeptPrivateAndNeverLogged() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let first = try LiveServer(dir: dir)
        try first.start()
        defer { first.process.stop() }
        _ = try first.get("/xrpc/com.atproto.server.describeServer")
        #expect(first.terminate() == 0)

        let dataAttributes = try FileManager.default.attributesOfItem(atPath: first.dataDirectory.path)
        #expect((dataAttributes[.posixPermissions] as? Int) == 0o700)
        let secretsPath = first.dataDirectory.appendingPathComponent("secrets.toml").path
        let attributes = try FileManager.default.attributesOfItem(atPath: secretsPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let secretsText = try String(contentsOfFile: secretsPath, encoding: .utf8)
        let values = secretsText.split(separator: "\n").compactMap { line -> (String, String)? in
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[1].hasPrefix("\"") else { return nil }
            return (parts[0], String(parts[1].dropFirst().dropLast()))
        }
        let secrets = Dictionary(uniqueKeysWithValues: values)
        let password = try #require(secrets["admin_password"])
        let jwt = try #require(secrets["jwt_secret"])
        let rotation = try #require(secrets["plc_rotation_key_k256_private_key_hex"])
        #expect(jwt.count == 64)
        #expect(rotation.count == 64)

        // The admin password is printed once on stdout; no secret ever reaches the log.
        #expect(first.process.stdout.contains(password))
        #expect(!first.process.stdout.contains(jwt))
        #expect(!first.process.stdout.contains(rotation))
        for secret in [password, jwt, rotation] {
            #expect(!first.process.stderr.contains(secret))
        }

        // Second start: same secrets, nothing printed, file unchanged.
        let second = try LiveServer(dir: dir)
        try second.start()
        defer { second.process.stop() }
        #expect(second.terminate() == 0)
        #expect(!second.process.stdout.contains(password))
        #expect(try String(contentsOfFile: secretsPath, encoding: .utf8) == secretsText)
        for secret in [password, jwt, rotation] {
            #expect(!second.process.stderr.contains(secret))
        }
        let migrated = second.process.logEvents.first { ($0["msg"] as? String) == "database ready" }
        #expect(migrated?["migrations_applied"] as? String == "0")
    }

    @Test func unusableDatabaseFileStopsStartupWithAClearMessage() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let data = dir.url.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try Data(repeating: 0x42, count: 8192).write(to: data.appendingPathComponent("pds.sqlite"))
        let result = try PDSProcess.run(
            ["serve", "--port", "0", "--data-dir", data.path, "--log-format", "json"], directory: dir.url)
        #expect(result.status == 1)
        #expect(result.stderr.contains("pds: cannot start: cannot open database"), "\(result.stderr)")
    }
}
