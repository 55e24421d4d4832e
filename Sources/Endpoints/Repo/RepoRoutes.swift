import ATProto
import Hummingbird
import CoreMetrics
import Storage

/// The `com.atproto.repo.*` record methods: writes (``RepoWriteRoutes``) and reads (``RepoReadRoutes``).
enum RepoRoutes {
    /// Registers the record methods and, when the services have a blob store, `uploadBlob`; the files of
    /// blobs a commit releases are deleted after the commit.
    static func add(to xrpc: XRPCRouter, services: PDSServices, settings: ServerSettings, metricsFactory: any MetricsFactory) {
        let blobMetrics = BlobMetrics(factory: metricsFactory)
        let blobs = services.blobs
        RepoWriteRoutes(
            services: services, preparer: RecordPreparer(), metrics: RepoMetrics(factory: metricsFactory),
            releaseBlobs: { did, cids in
                guard let blobs else { return }
                await blobs.deleteFiles(did: did, cids: cids)
                blobMetrics.storeSize(blobs.storedBytes)
            }
        ).add(to: xrpc)
        RepoReadRoutes(services: services, settings: settings).add(to: xrpc)
        if let blobs {
            UploadBlob.add(to: xrpc, services: services, store: blobs, settings: settings, metrics: blobMetrics)
        }
    }
}
