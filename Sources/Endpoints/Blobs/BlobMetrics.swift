import CoreMetrics

/// `pds_blob_uploads_total{result}`, `pds_blob_upload_bytes_total`, `pds_blob_upload_size_bytes`,
/// `pds_blobstore_bytes`, `pds_blob_gc_deleted_total`.
struct BlobMetrics: Sendable {
    enum Result: String, Sendable {
        case ok
        case tooLarge = "too_large"
        case error
    }

    let factory: any MetricsFactory

    func upload(_ result: Result, bytes: Int64 = 0) {
        Counter(label: "pds_blob_uploads_total", dimensions: [("result", result.rawValue)], factory: factory).increment()
        if result == .ok {
            Counter(label: "pds_blob_upload_bytes_total", factory: factory).increment(by: Int(bytes))
            Recorder(label: "pds_blob_upload_size_bytes", aggregate: true, factory: factory).record(bytes)
        }
    }

    func storeSize(_ bytes: Int64) {
        Gauge(label: "pds_blobstore_bytes", factory: factory).record(bytes)
    }

    func garbageCollected(_ count: Int) {
        Counter(label: "pds_blob_gc_deleted_total", factory: factory).increment(by: count)
    }
}
