import Foundation

/// The built `pds` binary run as a child process, with stdout and stderr captured to files.
final class PDSProcess: @unchecked Sendable {
    // Only touched from the test that owns it.
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL

    /// `pds` next to the test bundle (`.build-*/debug/pds`), or `PDS_BINARY` when set.
    static var binaryURL: URL {
        if let path = ProcessInfo.processInfo.environment["PDS_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // On Darwin the test binary sits inside an .xctest bundle (Contents/MacOS).
        while directory.pathComponents.count > 1,
            directory.pathComponents.contains(where: { $0.hasSuffix(".xctest") })
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("pds")
    }

    /// Environment for the child: the test's own minus anything that would change pds's behaviour.
    static func baseEnvironment() -> [String: String] {
        ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("PDS_") && key != "NOTIFY_SOCKET" && !key.hasPrefix("WATCHDOG_")
                && key != "JOURNAL_STREAM"
        }
    }

    init(arguments: [String], environment: [String: String] = baseEnvironment(), directory: URL) throws {
        stdoutURL = directory.appendingPathComponent("stdout-\(UUID().uuidString).txt")
        stderrURL = directory.appendingPathComponent("stderr-\(UUID().uuidString).txt")
        guard FileManager.default.createFile(atPath: stdoutURL.path, contents: nil),
            FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        else { throw TestFailure("cannot create output files in \(directory.path)") }
        process.executableURL = Self.binaryURL
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = directory
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
    }

    func start() throws {
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// JSON log lines on stderr (`--log-format json`).
    var logEvents: [[String: Any]] {
        stderr.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// Polls until `condition` is true or the timeout passes.
    static func waitUntil(timeout: Duration, _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition()
    }

    /// The port from the `serving` log event, once it appears.
    func waitForServingPort(timeout: Duration = .seconds(60)) -> Int? {
        var port: Int?
        _ = Self.waitUntil(timeout: timeout) {
            if !isRunning { return true }
            port = logEvents.first { ($0["msg"] as? String) == "serving" }
                .flatMap { ($0["port"] as? String).flatMap(Int.init) }
            return port != nil
        }
        return port
    }

    /// Waits for the process to exit and returns its status (nil on timeout).
    func waitForExit(timeout: Duration = .seconds(30)) -> Int32? {
        guard Self.waitUntil(timeout: timeout, { !isRunning }) else { return nil }
        return process.terminationStatus
    }

    func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Makes sure the child is gone (SIGKILL) at the end of a test.
    func stop() {
        if isRunning {
            kill(pid, SIGKILL)
            _ = waitForExit(timeout: .seconds(10))
        }
    }

    /// Runs `pds` to completion (for commands that exit by themselves).
    static func run(
        _ arguments: [String], environment: [String: String] = baseEnvironment(), directory: URL,
        timeout: Duration = .seconds(60)
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try PDSProcess(arguments: arguments, environment: environment, directory: directory)
        try child.start()
        defer { child.stop() }
        guard let status = child.waitForExit(timeout: timeout) else {
            throw TestFailure("pds \(arguments.joined(separator: " ")) did not exit within \(timeout)")
        }
        return (status, child.stdout, child.stderr)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
