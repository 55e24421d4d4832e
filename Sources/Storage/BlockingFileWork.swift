/// Runs blocking file work on dispatch threads of its own: writing, syncing, moving and deleting blob files, and
/// linking, copying and hashing every blob file of a backup, deleting old backups.
///
/// Swift concurrency's threads are NIO's event loops in `pds serve` (two on a 2-core machine, shared with every
/// connection), so none of them may wait for the disk: an `fsync` of a large upload or a backup of many gigabytes
/// would stall every request on that loop. Database work has its own threads already (GRDB's writer queue and
/// the ``ReadDispatcher``).
public enum BlockingFileWork {
    private static let work = DispatchWork(label: "pds.blocking-file-work", qos: .utility)

    /// Jobs queued or running (`pds_work_queue_jobs{queue="file_work"}`).
    public static var jobs: Int { work.jobs }

    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws(StorageError) -> T) async throws(StorageError) -> T {
        let result = await perform { () -> Result<T, StorageError> in
            do throws(StorageError) {
                return .success(try body())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// `body` on the file-work threads, for work that cannot fail.
    public static func perform<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await work.perform(body)
    }
}
