import Foundation
import Telemetry
import Testing

@testable import App

/// README.md documents every setting and every metric, and CI runs exactly README's test command.
@Suite struct ReadmeTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func everySettingIsInTheConfigurationTable() throws {
        let readme = try Self.read("README.md")
        for key in ConfigKey.all {
            #expect(readme.contains("| `\(key.env)` |"), "README lacks \(key.env)")
            #expect(readme.contains("`\(key.toml)`"), "README lacks \(key.toml)")
            if let flag = key.flag {
                #expect(readme.contains("`\(flag)`"), "README lacks \(flag)")
            }
        }
    }

    @Test func everyMetricIsInTheMetricsTable() throws {
        let readme = try Self.read("README.md")
        for metric in MetricCatalog.all {
            #expect(readme.contains("| `\(metric.name)` |"), "README's metrics table lacks \(metric.name)")
        }
    }

    @Test func everyMetricNameUsedInSourcesIsDocumented() throws {
        let readme = try Self.read("README.md")
        let sources = Self.root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        #expect(!files.isEmpty)
        let pattern = try Regex(#""(pds_[a-z0-9_]+)""#)
        var names = Set<String>()
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: pattern) {
                if let name = match.output[1].substring { names.insert(String(name)) }
            }
        }
        #expect(names.contains("pds_db_query_duration_seconds"))
        for name in names.sorted() {
            #expect(readme.contains("`\(name)`"), "\(name) is used in Sources but not documented in README")
        }
    }

    @Test func ciRunsReadmesTestCommandVerbatim() throws {
        let readme = try Self.read("README.md")
        let ci = try Self.read(".ci/run")
        #expect(readme.contains("```sh\n   swift test\n   ```"))
        let lastCommand = ci.split(separator: "\n").last { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(lastCommand == "swift test")
        #expect(ci.hasPrefix("#!/usr/bin/env bash\n"))
        #expect(ci.contains("set -euo pipefail"))
        for package in ["libsqlite3-dev", "libssl-dev", "libsystemd-dev", "zlib1g-dev", "libsecp256k1-dev", "prometheus", "systemd", "wrk", "nix-bin"] {
            #expect(ci.contains(package), ".ci/run does not install \(package)")
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: Self.root.appendingPathComponent(".ci/run").path)
        #expect(((attributes[.posixPermissions] as? Int) ?? 0) & 0o111 != 0, ".ci/run is not executable")
    }
}
