import Endpoints
import ServiceLifecycle

/// Runs the blob garbage collector (unreferenced uploads older than the grace period) until shutdown.
struct BlobGCService: Service {
    let collector: BlobGarbageCollector

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await collector.run()
        }
    }
}
