import Dispatch

/// Runs long blocking file work (linking, copying and hashing every blob file of a backup) on a dispatch thread of
/// its own, so that a backup of many gigabytes never holds one of Swift concurrency's threads (two on a 2-core
/// machine, shared with request handling) for minutes.
enum BlockingFileWork {
    private static let queue = DispatchQueue(label: "pds.blocking-file-work", qos: .utility, attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(StorageError) -> T) async throws(StorageError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, StorageError>, Never>) in
            queue.async {
                do throws(StorageError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
