import Foundation
import Testing

@testable import App

@Suite struct BackupScheduleTests {
    func schedule(keep: Int = 2, in dir: TempDirectory) -> BackupSchedule {
        BackupSchedule(directory: dir.url, interval: .seconds(3600), keep: keep)
    }

    func make(_ names: [(String, Bool)], in dir: TempDirectory) throws {
        for (name, complete) in names {
            let folder = dir.url.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            if complete { try Data("{}".utf8).write(to: folder.appendingPathComponent("manifest.json")) }
        }
    }

    @Test func folderNamesRoundTripInUTC() throws {
        let date = Date(timeIntervalSince1970: 1_796_000_000)
        let name = BackupSchedule.folderName(for: date)
        #expect(name == "pds-backup-20261130T005320Z")
        #expect(BackupSchedule.date(fromFolderName: name) == date)
        #expect(BackupSchedule.date(fromFolderName: "pds-backup-nonsense") == nil)
        #expect(BackupSchedule.date(fromFolderName: "other-20261130T000000Z") == nil)
    }

    @Test func dueAtOnceWithoutACompleteBackupElseAfterTheInterval() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let schedule = schedule(in: dir)
        #expect(schedule.delayUntilNext(now: Date(), entries: schedule.entries()) == .zero)
        let taken = Date(timeIntervalSince1970: 1_796_000_000)
        try make([(BackupSchedule.folderName(for: taken), false)], in: dir)
        #expect(schedule.delayUntilNext(now: taken, entries: schedule.entries()) == .zero)
        try make([(BackupSchedule.folderName(for: taken.addingTimeInterval(-60)), true)], in: dir)
        #expect(schedule.delayUntilNext(now: taken, entries: schedule.entries()) == .seconds(3540))
        #expect(schedule.delayUntilNext(now: taken.addingTimeInterval(7200), entries: schedule.entries()) == .zero)
    }

    @Test func prunesCompleteBackupsBeyondKeepAndOldInterruptedOnes() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        try make(
            [
                ("pds-backup-20261101T000000Z", true), ("pds-backup-20261102T000000Z", false),
                ("pds-backup-20261103T000000Z", true), ("pds-backup-20261104T000000Z", true),
                ("pds-backup-20261105T000000Z", false), ("unrelated", true),
            ], in: dir)
        let schedule = schedule(keep: 2, in: dir)
        let entries = schedule.entries()
        #expect(entries.map(\.name).contains("unrelated") == false)
        #expect(
            schedule.toPrune(entries).map(\.name) == ["pds-backup-20261101T000000Z", "pds-backup-20261102T000000Z"])
        #expect(self.schedule(keep: 5, in: dir).toPrune(entries).map(\.name) == ["pds-backup-20261102T000000Z"])
    }

    @Test func statusParsesReadinessAndMetrics() {
        let checks = StatusCommand.parseChecks("[+]database ok\n[-]disk_space failed\nreadyz check failed\n")
        #expect(checks.map(\.name) == ["database", "disk_space"])
        #expect(checks.map(\.ok) == [true, false])
        let samples = StatusCommand.parseMetrics(
            "# HELP x y\npds_sequencer_head_seq 42\npds_accounts{status=\"active\"} 3\n")
        #expect(samples["pds_sequencer_head_seq"] == 42)
        #expect(StatusCommand.label("status", in: "pds_accounts{status=\"active\"}") == "active")
        #expect(samples["pds_accounts{status=\"active\"}"] == 3)
    }

    @Test func tablesAlignAndBytesReadWell() {
        #expect(TextTable.bytes(512) == "512 B")
        #expect(TextTable.bytes(1536) == "1.5 KiB")
        #expect(TextTable.bytes(5 * 1024 * 1024) == "5.0 MiB")
        let table = TextTable.render(header: ["A", "N"], rows: [["long name", "1"], ["b", "1000"]], rightAligned: [1])
        #expect(table == "A             N\nlong name     1\nb          1000\n")
    }
}
