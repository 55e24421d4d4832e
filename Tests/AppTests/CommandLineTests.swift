import Foundation
import Testing

/// The `pds` binary's command line: version, help, check-config and the exit-78 config errors.
@Suite struct CommandLineTests {
    @Test func versionAndHelp() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let version = try PDSProcess.run(["--version"], directory: dir.url)
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("0.1.0"))

        let help = try PDSProcess.run(["--help"], directory: dir.url)
        #expect(help.status == 0)
        #expect(help.stdout.contains("serve"))
        #expect(help.stdout.contains("check-config"))
        #expect(!help.stdout.contains("bench-bare"))

        let serveHelp = try PDSProcess.run(["serve", "--help"], directory: dir.url)
        #expect(serveHelp.status == 0)
        for flag in ["--config", "--data-dir", "--hostname", "--port", "--bind", "--log-level", "--log-format"] {
            #expect(serveHelp.stdout.contains(flag), "serve --help lacks \(flag)")
        }
    }

    @Test func checkConfigPrintsEffectiveConfigWithSecretsMasked() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let secret = "s3cret-jwt-value-that-must-not-leak"
        let configURL = dir.url.appendingPathComponent("pds.toml")
        try Data("[server]\nhostname = \"pds.example.com\"\n[secrets]\nadmin_password = \"file-admin-pw\"\n".utf8)
            .write(to: configURL)
        var environment = PDSProcess.baseEnvironment()
        environment["PDS_JWT_SECRET"] = secret
        environment["PDS_PORT"] = "4000"
        let result = try PDSProcess.run(
            ["check-config", "--config", configURL.path, "--port", "5000", "--data-dir", "d"],
            environment: environment, directory: dir.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("hostname = \"pds.example.com\"  # \(configURL.path) line 2"))
        #expect(result.stdout.contains("port = 5000  # flag --port"))
        #expect(result.stdout.contains("data_directory = \"d\"  # flag --data-dir"))
        #expect(result.stdout.contains("jwt_secret = \"****\"  # environment PDS_JWT_SECRET"))
        #expect(result.stdout.contains("admin_password = \"****\""))
        #expect(!result.stdout.contains(secret))
        #expect(!result.stdout.contains("file-admin-pw"))
        #expect(result.stderr.isEmpty)
        // check-config creates nothing.
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("d").path))
    }

    /// (arguments, extra environment, TOML file text or nil, text the one stderr line must contain)
    static let configErrors: [([String], [String: String], String?, String)] = [
        (["serve"], ["PDS_PORT": "abc"], nil, "PDS_PORT: must be an integer"),
        (["serve", "--port", "99999"], [:], nil, "--port: must be from 0 to 65535"),
        (["serve", "--log-format", "xml"], [:], nil, "--log-format: must be one of"),
        (["serve", "--bind", "not-an-ip"], [:], nil, "--bind: must be an IPv4 or IPv6 address"),
        (["serve", "--config", "FILE"], [:], "[server]\nportt = 1\n", "server.portt ("),
        (["serve", "--config", "FILE"], [:], "[server]\nport = \"1\"\n", "server.port ("),
        (["serve", "--config", "FILE"], [:], "[server\n", "line 1: expected ']'"),
        (["check-config", "--config", "FILE"], [:], "[log]\nlevel = \"loud\"\n", "log.level ("),
        (["check-config"], ["PDS_INVITE_REQUIRED": "perhaps"], nil, "PDS_INVITE_REQUIRED: must be true or false"),
        (["serve", "--config", "/nonexistent/pds.toml"], [:], nil, "--config /nonexistent/pds.toml: no such file"),
        (["serve"], ["PDS_CONFIG_FILE": "/nonexistent/env.toml"], nil, "--config /nonexistent/env.toml"),
    ]

    @Test(arguments: 0..<configErrors.count)
    func configErrorExits78WithOneLine(_ index: Int) throws {
        let (baseArguments, extra, file, expected) = Self.configErrors[index]
        let dir = try TempDirectory()
        defer { dir.remove() }
        var arguments = baseArguments
        if let file {
            let url = dir.url.appendingPathComponent("pds.toml")
            try Data(file.utf8).write(to: url)
            arguments = arguments.map { $0 == "FILE" ? url.path : $0 }
        }
        var environment = PDSProcess.baseEnvironment()
        environment.merge(extra) { _, new in new }
        let result = try PDSProcess.run(arguments + ["--data-dir", dir.url.appendingPathComponent("data").path],
            environment: environment, directory: dir.url)
        #expect(result.status == 78)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(expected), "stderr: \(result.stderr)")
        #expect(result.stderr.hasPrefix("pds: "))
        #expect(result.stdout.isEmpty)
        // A refused start creates nothing.
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("data").path))
    }
}
