import ArgumentParser
import Foundation
import Logging
import Storage

/// `pds usage`: bytes of records and blobs per account, largest first, with totals.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Show the bytes of records, repository blocks and blobs per account, largest first.",
        discussion: """
            Reads the database of the data folder (also while the server runs): for each account the \
            records and SUM(length(content)) of its rows in `record`, SUM(length(content)) of its MST and \
            commit blocks in `repo_block`, and the blobs and SUM(size) of its rows in `blob`; then the totals. \
            Table by default (sizes in KiB/MiB/GiB), --json for exact byte counts.
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: ArgumentHelp("Show only the N largest accounts (the totals still cover all).", valueName: "n"))
    var limit: Int?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    struct Report: Encodable {
        var accounts: [AccountUsage]
        var total: AccountUsage
    }

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let config = try options.loadOrExit().config
        let usages: [AccountUsage]
        do throws(StorageError) {
            let database = try await DataFolder(path: config.dataDirectory)
                .openExistingDatabase(logger: Logger(label: "pds.usage"))
            defer { try? database.close() }
            usages = try await database.usage()
        } catch {
            throw commandFailure(error.message)
        }
        let report = Report(accounts: limit.map { Array(usages.prefix($0)) } ?? usages, total: .total(usages))
        print(json ? TextTable.json(report) : Self.render(report), terminator: "")
    }

    static func render(_ report: Report) -> String {
        func row(_ name: String, _ usage: AccountUsage) -> [String] {
            [
                name, "\(usage.records)", TextTable.bytes(usage.recordBytes), TextTable.bytes(usage.repoBlockBytes),
                "\(usage.blobs)", TextTable.bytes(usage.blobBytes), TextTable.bytes(usage.totalBytes),
            ]
        }
        var rows = report.accounts.map { row($0.handle ?? $0.did, $0) }
        rows.append(row("total", report.total))
        return TextTable.render(
            header: ["ACCOUNT", "RECORDS", "RECORD BYTES", "MST BYTES", "BLOBS", "BLOB BYTES", "TOTAL"], rows: rows,
            rightAligned: [1, 2, 3, 4, 5, 6])
    }
}
