import Logging
import ServiceLifecycle
import Storage

/// Bounds the WAL: every `interval` runs a PASSIVE checkpoint, or a TRUNCATE one when nothing was written since
/// the previous run (idle, so no writer waits and the WAL file shrinks back to zero). Each run records
/// `pds_sqlite_checkpoint_duration_seconds`.
struct CheckpointService: Service {
    let database: Storage.Database
    var interval: Duration = .seconds(60)
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await loop()
        }
    }

    private func loop() async {
        var changesAtLastRun: Int?
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            do throws(StorageError) {
                let changes = try await database.writerTotalChanges()
                let mode: Storage.Database.CheckpointMode = changes == changesAtLastRun ? .truncate : .passive
                let result = try await database.checkpoint(mode)
                changesAtLastRun = result.totalChanges
                logger.debug(
                    "wal checkpoint",
                    metadata: [
                        "mode": "\(mode.rawValue)", "wal_frames": "\(result.walFrames)",
                        "checkpointed_frames": "\(result.checkpointedFrames)", "busy": "\(result.busy)",
                    ])
            } catch {
                logger.warning("wal checkpoint failed", metadata: ["error": "\(error.message)"])
            }
        }
    }
}
