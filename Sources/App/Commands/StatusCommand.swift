import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Storage

/// `pds status`: health, version, firehose head, subscribers, accounts and disk use.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show health, version, firehose head, subscribers, accounts and disk use.",
        discussion: """
            Asks the running server (/xrpc/_health, /readyz?verbose, /metrics at --url, by default the \
            configured bind address and port) and reads the data folder for what the server does not \
            report (or everything, when no server answers). Exit status: 0 running and ready, 1 running but \
            not ready, 3 not running.
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: ArgumentHelp("Base URL of the running server (default http://<bind>:<port>).", valueName: "url"))
    var url: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    struct Report: Encodable {
        struct Check: Encodable {
            var name: String
            var ok: Bool
        }

        var url: String
        var running: Bool
        var ready: Bool?
        var version: String?
        var checks: [Check] = []
        var headSeq: Int64?
        var firehoseSubscribers: Int?
        var accounts: [String: Int] = [:]
        var schema: String?
        var dataDirectory: String
        var databaseBytes: Int64?
        var walBytes: Int64?
        var blobBytes: Int64?
        var diskFreeBytes: Int64?
        var lastBackup: String?

        enum CodingKeys: String, CodingKey {
            case url, running, ready, version, checks, accounts, schema
            case headSeq = "head_seq"
            case firehoseSubscribers = "firehose_subscribers"
            case dataDirectory = "data_directory"
            case databaseBytes = "database_bytes"
            case walBytes = "wal_bytes"
            case blobBytes = "blob_bytes"
            case diskFreeBytes = "disk_free_bytes"
            case lastBackup = "last_backup"
        }
    }

    func run() async throws {
        let config = try options.loadOrExit().config
        let base = url ?? Self.defaultURL(config)
        var report = Report(url: base, running: false, dataDirectory: config.dataDirectory)
        await Self.addServerState(to: &report, base: base)
        await Self.addDataFolderState(to: &report, folder: DataFolder(path: config.dataDirectory))
        if json {
            print(TextTable.json(report), terminator: "")
        } else {
            print(Self.render(report), terminator: "")
        }
        if !report.running { throw ExitCode(3) }
        if report.ready != true { throw ExitCode(1) }
    }

    static func defaultURL(_ config: PDSConfig) -> String {
        let host: String
        switch config.bindAddress {
        case "0.0.0.0": host = "127.0.0.1"
        case "::": host = "[::1]"
        case let address where address.contains(":"): host = "[\(address)]"
        case let address: host = address
        }
        return "http://\(host):\(config.port)"
    }

    // MARK: Sources

    /// Fills in what the server reports; leaves `running` false when it does not answer.
    static func addServerState(to report: inout Report, base: String) async {
        guard let health = await get(base + "/xrpc/_health") else { return }
        report.running = true
        report.ready = health.status == 200
        if let object = try? JSONSerialization.jsonObject(with: Data(health.body.utf8)) as? [String: Any] {
            report.version = object["version"] as? String
        }
        if let ready = await get(base + "/readyz?verbose") {
            report.ready = ready.status == 200
            report.checks = parseChecks(ready.body)
        }
        if let metrics = await get(base + "/metrics") {
            let samples = parseMetrics(metrics.body)
            // 0 before the first event: leave it to the database, which says "none".
            report.headSeq = samples["pds_sequencer_head_seq"].flatMap { $0 > 0 ? Int64($0) : nil }
            report.firehoseSubscribers = samples["pds_firehose_subscribers"].map { Int($0) }
            for (series, value) in samples where series.hasPrefix("pds_accounts{") {
                if let status = label("status", in: series) { report.accounts[status] = Int(value) }
            }
            report.databaseBytes = samples["pds_sqlite_db_bytes"].map { Int64($0) }
            report.walBytes = samples["pds_sqlite_wal_bytes"].map { Int64($0) }
            report.blobBytes = samples["pds_blobstore_bytes"].map { Int64($0) }
            report.diskFreeBytes = samples["pds_disk_free_bytes"].map { Int64($0) }
            if let last = samples["pds_last_backup_timestamp_seconds"], last > 0 {
                report.lastBackup = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: last))
            }
        }
    }

    /// Fills in from the data folder whatever is still unknown.
    static func addDataFolderState(to report: inout Report, folder: DataFolder) async {
        let files = FileManager.default
        func size(_ url: URL) -> Int64? {
            (try? files.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value
        }
        report.databaseBytes = report.databaseBytes ?? size(folder.databaseURL)
        report.walBytes = report.walBytes ?? size(URL(fileURLWithPath: folder.databaseURL.path + "-wal"))
        if report.blobBytes == nil, files.fileExists(atPath: folder.blobRoot.path) {
            report.blobBytes = directoryBytes(folder.blobRoot)
        }
        report.diskFreeBytes = report.diskFreeBytes ?? DiskSpace.availableBytes(path: folder.url.path)
        guard files.fileExists(atPath: folder.databaseURL.path) else { return }
        var logger = Logger(label: "pds.status")
        logger.logLevel = .critical
        guard let database = try? await folder.openExistingDatabase(logger: logger) else { return }
        defer { try? database.close() }
        if let summary = try? await database.summary() {
            report.headSeq = report.headSeq ?? summary.headSeq
            report.schema = summary.migrations.last
        }
        if report.accounts.isEmpty,
            let counts = try? await AccountStore(repos: RepoStore(database: database)).countsByStatus()
        {
            report.accounts = counts
        }
    }

    static func directoryBytes(_ url: URL) -> Int64 {
        guard let enumerator = FileManager.default.enumerator(
            at: url, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey])
        else { return 0 }
        var total: Int64 = 0
        for case let file as URL in enumerator {
            let values = try? file.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey])
            if values?.isRegularFile == true { total += Int64(values?.fileSize ?? 0) }
        }
        return total
    }

    static func get(_ url: String) async -> (status: Int, body: String)? {
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 8 << 20)
            return (Int(response.status.code), String(buffer: body))
        } catch {
            return nil
        }
    }

    // MARK: Parsing

    /// `[+]name ok` / `[-]name failed` lines of `/readyz?verbose`.
    static func parseChecks(_ text: String) -> [Report.Check] {
        text.split(separator: "\n").compactMap { line in
            let ok = line.hasPrefix("[+]")
            guard ok || line.hasPrefix("[-]") else { return nil }
            let name = line.dropFirst(3).split(separator: " ").first.map(String.init) ?? ""
            return Report.Check(name: name, ok: ok)
        }
    }

    /// Prometheus text samples by series (`name` or `name{labels}`).
    static func parseMetrics(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    /// The value of label `name` in a series like `pds_accounts{status="active"}`.
    static func label(_ name: String, in series: String) -> String? {
        guard let range = series.range(of: "\(name)=\"") else { return nil }
        let rest = series[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    // MARK: Output

    static func render(_ report: Report) -> String {
        func bytes(_ value: Int64?) -> String { value.map { "\($0) (\(TextTable.bytes($0)))" } ?? "unknown" }
        var lines: [(String, String)] = [
            ("server", report.running ? "running at \(report.url)" : "not running (no answer at \(report.url))"),
        ]
        if report.running {
            lines.append(("ready", report.ready == true ? "yes" : "no"))
            if !report.checks.isEmpty {
                lines.append(("checks", report.checks.map { ($0.ok ? "+" : "-") + $0.name }.joined(separator: " ")))
            }
            lines.append(("version", report.version ?? "unknown"))
        }
        lines.append(("head_seq", report.headSeq.map(String.init) ?? "none"))
        if let subscribers = report.firehoseSubscribers { lines.append(("firehose_subscribers", "\(subscribers)")) }
        let accounts = report.accounts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let total = report.accounts.values.reduce(0, +)
        lines.append(("accounts", accounts.isEmpty ? "\(total)" : "\(total) (\(accounts.joined(separator: ", ")))"))
        if let schema = report.schema { lines.append(("schema", schema)) }
        lines.append(("data_directory", report.dataDirectory))
        lines.append(("database_bytes", bytes(report.databaseBytes)))
        lines.append(("wal_bytes", bytes(report.walBytes)))
        lines.append(("blob_bytes", bytes(report.blobBytes)))
        lines.append(("disk_free_bytes", bytes(report.diskFreeBytes)))
        if let last = report.lastBackup { lines.append(("last_backup", last)) }
        return TextTable.keyValues(lines)
    }
}
