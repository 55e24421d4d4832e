import Foundation

/// `pds serve` on a free port with a fresh data folder, JSON logs on stderr.
final class LiveServer: @unchecked Sendable {
    let dir: TempDirectory
    let dataDirectory: URL
    let process: PDSProcess
    private(set) var port = 0

    init(
        dir: TempDirectory, extraArguments: [String] = [], environment: [String: String] = PDSProcess.baseEnvironment()
    ) throws {
        self.dir = dir
        dataDirectory = dir.url.appendingPathComponent("data")
        process = try PDSProcess(
            arguments: [
                "serve", "--port", "0", "--data-dir", dataDirectory.path, "--log-format", "json", "--log-level", "debug",
            ] + extraArguments,
            environment: environment, directory: dir.url)
    }

    /// Starts the child and waits for its `serving` log event.
    func start() throws {
        try process.start()
        guard let port = process.waitForServingPort() else {
            process.stop()
            throw TestFailure("pds did not start serving; stderr:\n\(process.stderr)")
        }
        self.port = port
    }

    func get(_ path: String, headers: [String: String] = [:]) throws -> HTTPClient.Response {
        try HTTPClient.get(port: port, path: path, headers: headers)
    }

    /// SIGTERM and the exit status.
    func terminate() -> Int32? {
        process.signal(SIGTERM)
        return process.waitForExit(timeout: .seconds(30))
    }

    /// The value of one sample line (`name{labels} value`) in a metrics text, or nil.
    static func sample(_ metrics: String, _ series: String) -> Double? {
        for line in metrics.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).split(separator: " ")[0])
        }
        return nil
    }
}
