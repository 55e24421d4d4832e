import CoreMetrics

/// `pds_sync_bytes_sent_total{route}` (body bytes of the CAR and blob methods, including aborted transfers) and
/// `pds_sync_repo_exports_total{result}` (getRepo streams that finished or broke off after the status was sent).
struct SyncMetrics: Sendable {
    enum ExportResult: String, Sendable {
        case ok
        case error
    }

    let factory: any MetricsFactory

    func bytesSent(route: String, _ bytes: Int) {
        Counter(label: "pds_sync_bytes_sent_total", dimensions: [("route", route)], factory: factory).increment(by: bytes)
    }

    func repoExport(_ result: ExportResult) {
        Counter(label: "pds_sync_repo_exports_total", dimensions: [("result", result.rawValue)], factory: factory).increment()
    }
}
