import Foundation
import Testing

/// `pds serve` under a fake service manager: a bound `NOTIFY_SOCKET`, a 1 s `WATCHDOG_USEC`.
@Suite struct SystemdTests {
    @Test func readyWatchdogPingsStopOnLivenessFailureAndStoppingOnSIGTERM() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let notify = try NotifySocket(directory: dir.url)
        let failFile = dir.url.appendingPathComponent("fail-liveness").path
        var environment = PDSProcess.baseEnvironment()
        environment["NOTIFY_SOCKET"] = notify.path
        environment["WATCHDOG_USEC"] = "1000000"
        environment["PDS_TEST_FAIL_LIVENESS_FILE"] = failFile
        let server = try LiveServer(dir: dir, environment: environment)
        try server.process.start()
        defer { server.process.stop() }

        // READY=1 arrives only once the listener is bound: the server answers right after it.
        #expect(notify.waitFor("READY=1", timeout: .seconds(60)), "messages: \(notify.messages)")
        let port = try #require(server.process.waitForServingPort(timeout: .seconds(5)))
        #expect(try HTTPClient.get(port: port, path: "/readyz").status == 200)
        #expect(notify.messages.contains { $0.contains("STATUS=serving on http://127.0.0.1:\(port)") })

        // Pings every half period while liveness passes.
        #expect(
            PDSProcess.waitUntil(timeout: .seconds(10)) {
                notify.drain()
                return notify.count("WATCHDOG=1") >= 3
            }, "pings: \(notify.count("WATCHDOG=1")); messages: \(notify.messages)")

        // Force the liveness hook to fail: pings stop.
        #expect(FileManager.default.createFile(atPath: failFile, contents: Data()))
        notify.drain(for: .milliseconds(700))  // a ping already in flight may still land
        let before = notify.count("WATCHDOG=1")
        notify.drain(for: .seconds(2))
        #expect(notify.count("WATCHDOG=1") == before, "pings continued while liveness failed")
        let live = try HTTPClient.get(port: port, path: "/livez?verbose")
        #expect(live.status == 503)
        #expect(live.body.contains("[-]test_fail_file failed"))

        // Liveness recovers: pings resume.
        try FileManager.default.removeItem(atPath: failFile)
        #expect(
            PDSProcess.waitUntil(timeout: .seconds(5)) {
                notify.drain()
                return notify.count("WATCHDOG=1") > before
            })

        // SIGTERM: STOPPING=1, draining status, exit 0.
        server.process.signal(SIGTERM)
        let status = server.process.waitForExit(timeout: .seconds(30))
        notify.drain(for: .milliseconds(200))
        #expect(status == 0, "stderr: \(server.process.stderr)")
        #expect(notify.contains("STOPPING=1"), "messages: \(notify.messages)")
        #expect(notify.contains("STATUS=draining"))

        // The skipped pings were logged, and the skip counter names the check (seen in the log).
        let skipped = server.process.logEvents.filter { ($0["level"] as? String) == "warning" }
        #expect(skipped.contains { "\($0)".contains("test_fail_file") }, "no warning names the failing check")
    }

    @Test func withoutNotifySocketNothingIsSentAndShutdownIsClean() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let server = try LiveServer(dir: dir)
        try server.start()
        defer { server.process.stop() }
        server.process.signal(SIGINT)
        #expect(server.process.waitForExit(timeout: .seconds(30)) == 0)
    }

    @Test func watchdogForAnotherPidIsIgnored() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let notify = try NotifySocket(directory: dir.url)
        var environment = PDSProcess.baseEnvironment()
        environment["NOTIFY_SOCKET"] = notify.path
        environment["WATCHDOG_USEC"] = "200000"
        environment["WATCHDOG_PID"] = "1"
        let server = try LiveServer(dir: dir, environment: environment)
        try server.start()
        defer { server.process.stop() }
        #expect(notify.waitFor("READY=1", timeout: .seconds(10)))
        notify.drain(for: .seconds(1))
        #expect(notify.count("WATCHDOG=1") == 0)
        #expect(server.terminate() == 0)
    }
}
