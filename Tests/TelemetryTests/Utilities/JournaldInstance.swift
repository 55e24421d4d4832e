import Foundation

/// A namespaced `systemd-journald` started for one test and removed afterwards.
final class JournaldInstance {
    static let binary = "/lib/systemd/systemd-journald"
    static let journalctl = "/usr/bin/journalctl"

    let namespace: String
    let socketPath: String
    private let process: Process

    /// Why the test must be skipped here, or nil when journald can run.
    static var unavailableReason: String? {
        if !FileManager.default.isExecutableFile(atPath: binary) { return "\(binary) is missing" }
        if !FileManager.default.isExecutableFile(atPath: journalctl) { return "\(journalctl) is missing" }
        if getuid() != 0 { return "systemd-journald needs root to create /run/systemd/journal.NAMESPACE" }
        return nil
    }

    init() throws {
        namespace = "testns-\(UInt32.random(in: 0...UInt32.max))"
        socketPath = "/run/systemd/journal.\(namespace)/socket"
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = [namespace]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard Date() < deadline, process.isRunning else {
                stop()
                throw JournaldError.notStarted(namespace)
            }
            usleep(20_000)
        }
    }

    /// Entries with the given `SYSLOG_IDENTIFIER`, as JSON objects.
    func entries(identifier: String) throws -> [[String: Any]] {
        _ = try Subprocess.run(Self.journalctl, ["--namespace=\(namespace)", "--sync"])
        let output = try Subprocess.run(
            Self.journalctl,
            ["--namespace=\(namespace)", "-o", "json", "--all", "--no-pager", "SYSLOG_IDENTIFIER=\(identifier)"]
        )
        return try output.stdout.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw JournaldError.badOutput(String(line))
            }
            return object
        }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        let machineID = (try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if let machineID, !machineID.isEmpty {
            try? FileManager.default.removeItem(atPath: "/var/log/journal/\(machineID).\(namespace)")
            try? FileManager.default.removeItem(atPath: "/run/log/journal/\(machineID).\(namespace)")
        }
        try? FileManager.default.removeItem(atPath: "/run/systemd/journal.\(namespace)")
    }

    deinit { stop() }

    enum JournaldError: Error {
        case notStarted(String)
        case badOutput(String)
    }
}
