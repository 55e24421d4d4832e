import CoreMetrics
import Foundation
import Logging
import ServiceLifecycle
import Storage
import Telemetry

/// Which scheduled backups exist in `backup.directory`, when the next one is due and which ones to delete.
///
/// Each backup is a subfolder `pds-backup-YYYYMMDDTHHMMSSZ` (UTC); only one with a `manifest.json` is complete.
struct BackupSchedule: Sendable {
    static let prefix = "pds-backup-"

    let directory: URL
    let interval: Duration
    let keep: Int

    struct Entry: Sendable, Equatable {
        let name: String
        let date: Date
        let complete: Bool
    }

    static func folderName(for date: Date) -> String {
        prefix + formatter().string(from: date)
    }

    static func date(fromFolderName name: String) -> Date? {
        guard name.hasPrefix(prefix) else { return nil }
        return formatter().date(from: String(name.dropFirst(prefix.count)))
    }

    private static func formatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter
    }

    /// The backup folders in `directory`, oldest first (other entries are ignored).
    func entries() -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name in
            guard let date = Self.date(fromFolderName: name) else { return nil }
            let manifest = directory.appendingPathComponent(name).appendingPathComponent(BackupManifest.fileName)
            return Entry(name: name, date: date, complete: FileManager.default.fileExists(atPath: manifest.path))
        }.sorted { $0.date < $1.date }
    }

    /// How long to wait before the next backup: none when there is no complete backup or the newest is older
    /// than the interval.
    func delayUntilNext(now: Date, entries: [Entry]) -> Duration {
        guard let newest = entries.last(where: \.complete) else { return .zero }
        let due = newest.date.addingTimeInterval(Double(interval.components.seconds))
        let seconds = due.timeIntervalSince(now)
        return seconds > 0 ? .milliseconds(Int64(seconds * 1000)) : .zero
    }

    /// The folders to delete: complete backups beyond the newest `keep`, and incomplete (interrupted) ones older
    /// than the newest complete one.
    func toPrune(_ entries: [Entry]) -> [Entry] {
        let complete = entries.filter(\.complete)
        var doomed = Array(complete.dropLast(keep))
        if let newest = complete.last {
            doomed += entries.filter { !$0.complete && $0.date < newest.date }
        }
        return doomed.sorted { $0.date < $1.date }
    }
}

/// Takes a backup into a new subfolder of `backup.directory` every `backup.interval_hours` and prunes to
/// `backup.keep`; records `pds_backup_duration_seconds`, `pds_backups_total{result}`, `pds_last_backup_bytes` and
/// `pds_last_backup_timestamp_seconds` (set at start from the newest existing backup).
struct BackupService: Service {
    let database: Storage.Database
    let dataFolder: DataFolder
    let schedule: BackupSchedule
    let metricsFactory: any MetricsFactory
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await loop()
        }
    }

    private func loop() async {
        let lastTimestamp = Gauge(label: "pds_last_backup_timestamp_seconds", factory: metricsFactory)
        let lastBytes = Gauge(label: "pds_last_backup_bytes", factory: metricsFactory)
        let duration = Timer(label: "pds_backup_duration_seconds", factory: metricsFactory)
        let succeeded = Counter(label: "pds_backups_total", dimensions: [("result", "ok")], factory: metricsFactory)
        let failed = Counter(label: "pds_backups_total", dimensions: [("result", "error")], factory: metricsFactory)
        do {
            try FileManager.default.createDirectory(
                at: schedule.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            logger.error(
                "cannot create the backup folder; scheduled backups are off",
                metadata: ["backup_dir": "\(schedule.directory.path)", "error": "\(error)"])
            failed.increment()
            return
        }
        if let newest = schedule.entries().last(where: \.complete) {
            lastTimestamp.record(newest.date.timeIntervalSince1970)
        }
        while !Task.isCancelled {
            let delay = schedule.delayUntilNext(now: Date(), entries: schedule.entries())
            if delay > .zero {
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    return
                }
            }
            let now = Date()
            let folder = schedule.directory.appendingPathComponent(BackupSchedule.folderName(for: now))
            let start = ContinuousClock.now
            do {
                let manifest = try await dataFolder.backup(database: database, into: folder)
                let elapsed = ContinuousClock.now - start
                duration.recordNanoseconds(elapsed.nanoseconds)
                succeeded.increment()
                lastTimestamp.record(now.timeIntervalSince1970)
                lastBytes.record(manifest.totalBytes)
                logger.info(
                    "backup taken",
                    metadata: [
                        "backup_dir": "\(folder.path)", "duration_ms": "\(elapsed.milliseconds)",
                        "bytes": "\(manifest.totalBytes)", "files": "\(manifest.files.count)",
                        "head_seq": "\(manifest.headSeq.map(String.init) ?? "none")",
                        "missing_blobs": "\(manifest.missingBlobs.count)",
                    ])
            } catch {
                if Task.isCancelled {
                    logger.info(
                        "backup interrupted by shutdown; the folder has no manifest and will be pruned",
                        metadata: ["backup_dir": "\(folder.path)"])
                    return
                }
                duration.recordNanoseconds((ContinuousClock.now - start).nanoseconds)
                failed.increment()
                logger.error("backup failed", metadata: ["backup_dir": "\(folder.path)", "error": "\(error.message)"])
                // Do not retry at once: wait a full interval (the failed folder has no manifest and is pruned).
                try? await Task.sleep(for: schedule.interval)
                continue
            }
            // Deleting a backup removes every blob file it holds: on the file-work threads, not on an event loop.
            let schedule = self.schedule
            let pruned = await BlockingFileWork.perform { () -> [(name: String, error: String?)] in
                schedule.toPrune(schedule.entries()).map { entry in
                    do {
                        try FileManager.default.removeItem(at: schedule.directory.appendingPathComponent(entry.name))
                        return (entry.name, nil)
                    } catch {
                        return (entry.name, "\(error)")
                    }
                }
            }
            for (name, error) in pruned {
                if let error {
                    logger.warning("cannot delete an old backup", metadata: ["backup_dir": "\(name)", "error": "\(error)"])
                } else {
                    logger.info("old backup deleted", metadata: ["backup_dir": "\(name)"])
                }
            }
        }
    }
}
