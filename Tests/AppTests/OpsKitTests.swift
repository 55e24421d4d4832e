import Foundation
import Telemetry
import Testing

/// The operator kit: dashboards/, alerts/, docs/runbooks.md, systemd/pds.service and nix/.
/// Checks that need promtool, systemd-analyze or nix-instantiate skip locally when the tool is
/// missing and fail in CI (see ``ExternalTool``).
@Suite struct OpsKitTests {
    static let root = ReadmeTests.root

    // MARK: Dashboards

    static let dashboardNames = ["pds-overview", "pds-repo", "pds-firehose", "pds-database"]

    static func dashboards() throws -> [(name: String, json: [String: Any])] {
        try dashboardNames.map { name in
            let data = try Data(contentsOf: root.appendingPathComponent("dashboards/\(name).json"))
            guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TestFailure("dashboards/\(name).json is not a JSON object")
            }
            return (name, json)
        }
    }

    static func panels(_ dashboard: [String: Any]) -> [[String: Any]] {
        let top = dashboard["panels"] as? [[String: Any]] ?? []
        return top + top.flatMap { $0["panels"] as? [[String: Any]] ?? [] }
    }

    /// Every PromQL expression of every dashboard (panel targets and query variables), with where it is.
    static func dashboardExpressions() throws -> [(place: String, expr: String)] {
        var result: [(place: String, expr: String)] = []
        for (name, json) in try dashboards() {
            for panel in panels(json) {
                for target in panel["targets"] as? [[String: Any]] ?? [] {
                    result.append((place: "\(name) / \(panel["title"] ?? "?")", expr: target["expr"] as? String ?? ""))
                }
            }
            let variables = (json["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
            for variable in variables where variable["type"] as? String == "query" {
                let query = (variable["query"] as? [String: Any])?["query"] as? String ?? ""
                result.append((place: "\(name) / variable \(variable["name"] ?? "?")", expr: query))
            }
        }
        return result
    }

    @Test func dashboardsAreGrafanaJSONWithADatasourceVariable() throws {
        let dashboards = try Self.dashboards()
        #expect(Set(dashboards.map { $0.json["uid"] as? String ?? "" }).count == dashboards.count, "dashboard uids must differ")
        for (name, json) in dashboards {
            #expect((json["schemaVersion"] as? Int ?? 0) >= 36, "\(name): schemaVersion")
            #expect(!(json["title"] as? String ?? "").isEmpty, "\(name): title")
            let variables = (json["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
            let datasource = variables.first { $0["name"] as? String == "datasource" }
            #expect(datasource?["type"] as? String == "datasource", "\(name): no datasource variable")
            #expect(datasource?["query"] as? String == "prometheus", "\(name): the datasource variable is not of type prometheus")

            let panels = Self.panels(json)
            let ids = panels.compactMap { $0["id"] as? Int }
            #expect(ids.count == panels.count && Set(ids).count == ids.count, "\(name): panel ids missing or repeated")
            for panel in panels where panel["type"] as? String != "row" {
                let title = panel["title"] as? String ?? "?"
                #expect(Self.usesDatasourceVariable(panel["datasource"]), "\(name) / \(title): panel datasource")
                let unit = ((panel["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any])?["unit"] as? String
                #expect(!(unit ?? "").isEmpty, "\(name) / \(title): no unit")
                #expect(!(panel["description"] as? String ?? "").isEmpty, "\(name) / \(title): no description")
                let targets = panel["targets"] as? [[String: Any]] ?? []
                #expect(!targets.isEmpty, "\(name) / \(title): no query")
                let refIds = targets.compactMap { $0["refId"] as? String }
                #expect(refIds.count == targets.count && Set(refIds).count == refIds.count, "\(name) / \(title): refIds")
                for target in targets {
                    #expect(Self.usesDatasourceVariable(target["datasource"]), "\(name) / \(title): target datasource")
                    #expect(!(target["expr"] as? String ?? "").isEmpty, "\(name) / \(title): empty expr")
                }
            }
            // No hard-coded data source anywhere: every uid below the panels is the variable.
            let text = String(decoding: try JSONSerialization.data(withJSONObject: json["panels"] ?? []), as: UTF8.self)
            let uids = text.matches(of: #/"uid":"([^"]*)"/#).map { String($0.output.1) }
            #expect(!uids.isEmpty)
            #expect(uids.allSatisfy { $0 == "${datasource}" }, "\(name): hard-coded data source uids \(Set(uids))")
        }
    }

    static func usesDatasourceVariable(_ value: Any?) -> Bool {
        guard let reference = value as? [String: Any] else { return false }
        return reference["uid"] as? String == "${datasource}" && reference["type"] as? String == "prometheus"
    }

    @Test(.enabled(if: ExternalTool.python3.shouldRun, ExternalTool.python3.skipReason))
    func committedDashboardsAreWhatTheGeneratorWrites() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let result = try ExternalTool.python3.run(["scripts/gen-dashboards.py", "--out", dir.path], in: Self.root)
        #expect(result.status == 0, "\(result.output)")
        for name in Self.dashboardNames {
            let generated = try String(contentsOf: dir.url.appendingPathComponent("\(name).json"), encoding: .utf8)
            let committed = try ReadmeTests.read("dashboards/\(name).json")
            #expect(generated == committed, "dashboards/\(name).json differs from what scripts/gen-dashboards.py writes: re-run it")
        }
    }

    @Test func dashboardRatesUseTheRateIntervalVariable() throws {
        for (place, expr) in try Self.dashboardExpressions() {
            for match in expr.matches(of: #/\b(?:rate|increase|irate)\([^\[\)]*\[([^\]]+)\]/#) {
                #expect(match.output.1 == "$__rate_interval", "\(place): \(expr)")
            }
        }
    }

    // MARK: Metric names

    /// `pds_*` and `process_*` names in PromQL or rule text, mapped to their catalog family
    /// (`_bucket`, `_sum`, `_count` of a histogram count as the histogram). Unknown names map to themselves.
    static func metricFamilies(in text: String) -> Set<String> {
        let catalog = Dictionary(MetricCatalog.all.map { ($0.name, $0.kind) }, uniquingKeysWith: { first, _ in first })
        var names = Set<String>()
        for match in text.matches(of: #/\b(?:pds|process)_[a-z0-9_]+\b/#) {
            let name = String(match.output)
            if catalog[name] != nil {
                names.insert(name)
                continue
            }
            let base = ["_bucket", "_sum", "_count"].lazy.filter { name.hasSuffix($0) }
                .map { String(name.dropLast($0.count)) }.first
            if let base, catalog[base] == .histogram {
                names.insert(base)
            } else {
                names.insert(name)
            }
        }
        return names
    }

    @Test func everyCatalogMetricIsDrawnAndDashboardsQueryOnlyCatalogMetrics() throws {
        let catalog = Set(MetricCatalog.all.map(\.name))
        var drawn = Set<String>()
        for (place, expr) in try Self.dashboardExpressions() {
            let names = Self.metricFamilies(in: expr)
            for name in names.subtracting(catalog).sorted() {
                Issue.record("\(place) queries \(name), which MetricCatalog does not declare")
            }
            drawn.formUnion(names)
        }
        #expect(drawn.contains("pds_http_requests_total"))
        for name in catalog.subtracting(drawn).sorted() {
            Issue.record("\(name) is in MetricCatalog but in no dashboard panel (add it in scripts/gen-dashboards.py and re-run it)")
        }
    }

    @Test func alertsQueryOnlyCatalogMetrics() throws {
        let catalog = Set(MetricCatalog.all.map(\.name))
        for file in ["alerts/pds.rules.yml", "alerts/tests/pds.rules.test.yml"] {
            let names = Self.metricFamilies(in: try ReadmeTests.read(file))
            #expect(!names.isEmpty)
            for name in names.subtracting(catalog).sorted() {
                Issue.record("\(file) uses \(name), which MetricCatalog does not declare")
            }
        }
    }

    @Test(.enabled(if: ExternalTool.promtool.shouldRun, ExternalTool.promtool.skipReason))
    func everyDashboardExpressionParsesAsPromQL() throws {
        // Each expression becomes a recording rule: promtool check rules parses every one of them.
        let expressions = try Self.dashboardExpressions()
        var yaml = "groups:\n  - name: dashboards\n    rules:\n"
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        for (index, item) in expressions.enumerated() {
            // label_values(<selector>, <label>) is Grafana's, not PromQL: its selector is what must parse.
            let expr = item.expr
                .replacing(#/^label_values\((.+),\s*[a-zA-Z_]+\)$/#) { String($0.output.1) }
                .replacingOccurrences(of: "$__rate_interval", with: "5m")
                .replacingOccurrences(of: "$__interval", with: "1m")
                .replacingOccurrences(of: "$__range", with: "1h")
                .replacing(#/\$\{?[a-z_]+\}?/#, with: ".*")
            let quoted = String(decoding: try encoder.encode(expr), as: UTF8.self)
            yaml += "      - record: dashboard:expression_\(index)\n        expr: \(quoted)\n"
        }
        let dir = try TempDirectory()
        defer { dir.remove() }
        let file = dir.url.appendingPathComponent("dashboards.rules.yml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let result = try ExternalTool.promtool.run(["check", "rules", file.path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("SUCCESS: \(expressions.count) rules found"), "\(result.output)")

        // The check can fail: one broken expression is refused.
        try (yaml + "      - record: dashboard:broken\n        expr: \"sum(rate(pds_http_requests_total[5m])\"\n")
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(try ExternalTool.promtool.run(["check", "rules", file.path]).status != 0)
    }

    // MARK: Alerts and runbooks

    struct AlertRule {
        var name: String
        var text: String
    }

    /// The alerting rules of alerts/pds.rules.yml, each with its own lines.
    static func alertRules() throws -> [AlertRule] {
        let text = try ReadmeTests.read("alerts/pds.rules.yml")
        var rules: [AlertRule] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let match = line.firstMatch(of: #/^\s*- alert:\s*(\S+)\s*$/#) {
                rules.append(AlertRule(name: String(match.output.1), text: ""))
            } else if !rules.isEmpty {
                rules[rules.count - 1].text += String(line) + "\n"
            }
        }
        return rules
    }

    @Test func everyAlertHasForSeveritySummaryDescriptionAndARunbookSection() throws {
        let rules = try Self.alertRules()
        let runbooks = try ReadmeTests.read("docs/runbooks.md")
        let sections = Set(runbooks.matches(of: #/(?m)^## (\S+)$/#).map { String($0.output.1) })
        let expected = [
            "PDSDown", "PDSHighErrorRatio", "PDSHighLatency", "PDSNotReady", "PDSRestarting", "PDSSequencerStalled",
            "PDSNoFirehoseSubscribers", "PDSFirehoseSubscribersDropped", "PDSCrawlRequestsFailing", "PDSPLCErrors",
            "PDSDiskFillingUp", "PDSWALGrowing", "PDSBackupsStale", "PDSAuthFailureSpike", "PDSRateLimitSpike",
        ]
        #expect(Set(expected).isSubset(of: Set(rules.map(\.name))), "alerts: \(rules.map(\.name))")
        #expect(Set(rules.map(\.name)).count == rules.count, "an alert name is repeated")
        for rule in rules {
            #expect(rule.text.contains(#/\n\s*for: \d+[smh]\n/#), "\(rule.name): no for")
            #expect(rule.text.contains(#/severity: (warning|critical)\n/#), "\(rule.name): severity")
            #expect(rule.text.contains(#/\n\s*summary: \S/#), "\(rule.name): summary")
            #expect(rule.text.contains(#/\n\s*description: \S/#), "\(rule.name): description")
            #expect(rule.text.contains("runbook_url: docs/runbooks.md#\(rule.name.lowercased())\n"), "\(rule.name): runbook_url")
            #expect(sections.contains(rule.name), "docs/runbooks.md has no section ## \(rule.name)")
        }
        #expect(sections == Set(rules.map(\.name)), "runbook sections without an alert: \(sections.subtracting(rules.map(\.name)))")
    }

    @Test func everyAlertHasAUnitTestThatFiresItAndOneThatDoesNot() throws {
        // In alerts/tests, each alert has a test group of its own name whose exp_alerts name only
        // instance "a": every other input series of that group (instance b, c) must not fire it.
        let tests = try ReadmeTests.read("alerts/tests/pds.rules.test.yml")
        let groups = tests.components(separatedBy: "\n  - name: ").dropFirst()
        var tested = Set<String>()
        for group in groups {
            let name = String(group.prefix { !$0.isNewline })
            tested.insert(name)
            #expect(group.contains("alertname: \(name)\n"), "\(name): the group tests another alert")
            #expect(group.contains("instance=\"a\""), "\(name): no series that fires")
            #expect(group.contains(#/instance="[bc]"/#), "\(name): no series that must not fire")
            #expect(group.contains(#/instance: a[,}]/#), "\(name): nothing expected to fire")
            #expect(!group.contains(#/instance: [bc][,}]/#), "\(name): a non-firing series is expected to fire")
        }
        #expect(tested == Set(try Self.alertRules().map(\.name)))
    }

    @Test(.enabled(if: ExternalTool.promtool.shouldRun, ExternalTool.promtool.skipReason))
    func alertRulesPassPromtoolCheckAndUnitTests() throws {
        let check = try ExternalTool.promtool.run(["check", "rules", "--lint=all", "--lint-fatal", "alerts/pds.rules.yml"], in: Self.root)
        #expect(check.status == 0, "\(check.output)")
        let tests = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("alerts/tests").path)
            .filter { $0.hasSuffix(".yml") }.sorted().map { "alerts/tests/\($0)" }
        #expect(!tests.isEmpty)
        let result = try ExternalTool.promtool.run(["test", "rules"] + tests, in: Self.root)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("SUCCESS"), "\(result.output)")
    }

    // MARK: systemd

    /// The `[Service]` settings of systemd/pds.service, each key with its values in order.
    static func unitServiceSettings(_ unit: String) -> [String: [String]] {
        var settings: [String: [String]] = [:]
        var inService = false
        for line in unit.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") { inService = trimmed == "[Service]" }
            guard inService, !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            settings[String(trimmed[..<equals]), default: []].append(String(trimmed[trimmed.index(after: equals)...]))
        }
        return settings
    }

    /// systemd/pds.service with ExecStart pointing at the built `pds` (verify wants an existing binary).
    static func unitWithBuiltBinary(in dir: TempDirectory, extraLines: String = "") throws -> URL {
        let unit = try ReadmeTests.read("systemd/pds.service")
        #expect(unit.contains("ExecStart=/usr/local/bin/pds serve "))
        let binary = PDSProcess.binaryURL.path
        #expect(FileManager.default.isExecutableFile(atPath: binary), "build pds first: \(binary)")
        let patched = unit.replacingOccurrences(of: "ExecStart=/usr/local/bin/pds ", with: "ExecStart=\(binary) ")
            .replacingOccurrences(of: "[Install]", with: extraLines + "[Install]")
        let file = dir.url.appendingPathComponent("pds.service")
        try patched.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func unitIsNotifyWatchdogAndHardened() throws {
        let settings = Self.unitServiceSettings(try ReadmeTests.read("systemd/pds.service"))
        let required: [String: String] = [
            "Type": "notify", "NotifyAccess": "main", "WatchdogSec": "30s", "Restart": "on-failure",
            "DynamicUser": "yes", "StateDirectory": "pds", "ProtectSystem": "strict", "PrivateTmp": "yes",
            "NoNewPrivileges": "yes", "CapabilityBoundingSet": "", "MemoryDenyWriteExecute": "yes",
            "ProtectHome": "yes", "PrivateDevices": "yes", "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        ]
        for (key, value) in required {
            #expect(settings[key]?.first == value, "pds.service: \(key)=\(value) expected, got \(settings[key] ?? [])")
        }
        #expect(settings["SystemCallFilter"]?.first == "@system-service")
    }

    @Test(.enabled(if: ExternalTool.systemdAnalyze.shouldRun, ExternalTool.systemdAnalyze.skipReason))
    func unitPassesSystemdAnalyzeVerifyWithoutWarnings() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let unit = try Self.unitWithBuiltBinary(in: dir)
        // verify exits 0 on unknown keys and bad values, so any output at all counts as a failure.
        let result = try ExternalTool.systemdAnalyze.run(["verify", "--man=no", unit.path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(result.output)")

        // The check can fail: a bad value makes verify talk.
        let bad = try Self.unitWithBuiltBinary(in: dir, extraLines: "[Service]\nWatchdogSec=banana\n")
        let badResult = try ExternalTool.systemdAnalyze.run(["verify", "--man=no", bad.path])
        #expect(!badResult.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    @Test(.enabled(if: ExternalTool.systemdAnalyze.shouldRun, ExternalTool.systemdAnalyze.skipReason))
    func unitSecurityExposureIsAtMostTwo() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let unit = try Self.unitWithBuiltBinary(in: dir)
        let result = try ExternalTool.systemdAnalyze.run(["security", "--offline=yes", "--no-pager", unit.path])
        let match = result.output.firstMatch(of: #/Overall exposure level for pds\.service: (\d+\.\d+)/#)
        let exposure = try #require(match.flatMap { Double($0.output.1) }, "no exposure level in: \(result.output)")
        #expect(exposure <= 2.0, "exposure \(exposure): \(result.output)")
    }

    // MARK: Nix

    @Test(.enabled(if: ExternalTool.nixInstantiate.shouldRun, ExternalTool.nixInstantiate.skipReason))
    func everyNixFileParses() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("nix").path)
            .filter { $0.hasSuffix(".nix") }.sorted()
        #expect(Set(["package.nix", "module.nix", "hardening.nix", "prometheus.nix", "grafana.nix"]).isSubset(of: Set(files)))
        for file in files {
            let result = try ExternalTool.nixInstantiate.run(["--parse", "nix/\(file)"], in: Self.root)
            #expect(result.status == 0, "nix/\(file): \(result.output)")
        }
        // The check can fail: an undefined variable is a parse error.
        let dir = try TempDirectory()
        defer { dir.remove() }
        let broken = dir.url.appendingPathComponent("broken.nix")
        try "{ lib, ... }: { x = undefinedThing; }\n".write(to: broken, atomically: true, encoding: .utf8)
        #expect(try ExternalTool.nixInstantiate.run(["--parse", broken.path]).status != 0)
    }

    @Test(.enabled(if: ExternalTool.nixInstantiate.shouldRun, ExternalTool.nixInstantiate.skipReason))
    func nixosUnitHasTheSameSettingsAsTheSystemdUnit() throws {
        // Nix renders booleans as yes/no and numbers as text, as they appear in the unit file.
        let expression = """
            builtins.mapAttrs (key: value:
              if builtins.isBool value then (if value then "yes" else "no")
              else if builtins.isList value then value
              else toString value) (import ./nix/hardening.nix)
            """
        let result = try ExternalTool.nixInstantiate.run(["--eval", "--strict", "--json", "-E", expression], in: Self.root)
        #expect(result.status == 0, "\(result.output)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let nix = try #require(json, "\(result.output)")
        let unit = Self.unitServiceSettings(try ReadmeTests.read("systemd/pds.service"))
        // The unit's path-dependent settings are set by module.nix from its options.
        let pathSettings: Set = ["ExecStart", "EnvironmentFile", "StateDirectory", "ConfigurationDirectory", "ConfigurationDirectoryMode"]
        #expect(Set(nix.keys) == Set(unit.keys).subtracting(pathSettings), "keys differ: nix \(nix.keys.sorted()), unit \(unit.keys.sorted())")
        for (key, value) in nix {
            let values = (value as? [String]) ?? [(value as? String) ?? "\(value)"]
            #expect(unit[key] == values, "\(key): nix \(values), unit \(unit[key] ?? [])")
        }
        let module = try ReadmeTests.read("nix/module.nix")
        #expect(module.contains("serviceConfig = import ./hardening.nix // {"))
    }
}
