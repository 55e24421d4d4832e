import Foundation
import Testing

/// An operator tool the ops checks run (promtool, systemd-analyze, nix-instantiate, python3), found on the `PATH`.
///
/// Locally a missing tool skips its test (with the package to install in the skip reason); CI sets
/// `SWIFTPDS_REQUIRE_OPS_TOOLS=1` (`.ci/run` installs every tool), so there a missing tool fails instead.
struct ExternalTool {
    let name: String
    let package: String

    static let promtool = ExternalTool(name: "promtool", package: "prometheus")
    static let systemdAnalyze = ExternalTool(name: "systemd-analyze", package: "systemd")
    static let nixInstantiate = ExternalTool(name: "nix-instantiate", package: "nix-bin")
    static let python3 = ExternalTool(name: "python3", package: "python3")

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var output: String { stdout + stderr }
    }

    var path: String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var required: Bool {
        let value = ProcessInfo.processInfo.environment["SWIFTPDS_REQUIRE_OPS_TOOLS"] ?? ""
        return !value.isEmpty && value != "0"
    }

    /// Whether the test that needs this tool should run: when it is installed, or in CI (where its absence fails).
    var shouldRun: Bool { path != nil || Self.required }

    var skipReason: Comment {
        "\(name) is not installed (Debian package \(package); .ci/run installs it)"
    }

    /// Runs the tool to completion; stdout and stderr go through files so a chatty tool cannot block on a full pipe.
    func run(_ arguments: [String], in directory: URL? = nil) throws -> Result {
        guard let path else { throw TestFailure("\(name) is required but not installed (Debian package \(package))") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
