import CoreMetrics

/// `pds_account_events_total{type}`.
struct AccountMetrics: Sendable {
    enum Event: String, Sendable {
        /// An account was created (with a new did:plc).
        case created
        /// createAccount failed after its checks passed (PLC directory or storage failure).
        case createFailed = "create_failed"
    }

    let factory: any MetricsFactory

    func record(_ event: Event) {
        Counter(label: "pds_account_events_total", dimensions: [("type", event.rawValue)], factory: factory).increment()
    }
}
