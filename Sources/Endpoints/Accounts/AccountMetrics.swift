import CoreMetrics

/// `pds_account_events_total{type}` and the `pds_accounts{status}` gauge.
struct AccountMetrics: Sendable {
    enum Event: String, Sendable, CaseIterable {
        /// An account was created (with a new did:plc).
        case created
        /// createAccount failed after its checks passed (PLC directory or storage failure).
        case createFailed = "create_failed"
        /// An admin deleted the account.
        case deleted
        /// An admin took the account down, or lifted its takedown.
        case takendown
        case untakendown
        /// The account (deactivateAccount, activateAccount) or an admin deactivated or reactivated it.
        case deactivated
        case activated
        /// The account (updateHandle) or an admin changed its handle; an admin changed its email or password.
        case handleUpdated = "handle_updated"
        case emailUpdated = "email_updated"
        case passwordUpdated = "password_updated"
        /// The account had a PLC operation posted through submitPlcOperation.
        case plcOperationSubmitted = "plc_operation_submitted"
        /// The account imported a repository (importRepo).
        case repoImported = "repo_imported"
    }

    /// The statuses of `pds_accounts` (always all three, so a status that drops to zero shows 0).
    static let statuses = ["active", "deactivated", "takendown"]

    let factory: any MetricsFactory

    func record(_ event: Event) {
        Counter(label: "pds_account_events_total", dimensions: [("type", event.rawValue)], factory: factory).increment()
    }

    /// Sets `pds_accounts{status}` from a count by status.
    func recordCounts(_ counts: [String: Int]) {
        for status in Self.statuses {
            Gauge(label: "pds_accounts", dimensions: [("status", status)], factory: factory).record(counts[status] ?? 0)
        }
    }
}

extension PDSServices {
    /// Recounts the accounts by status into `pds_accounts{status}` (one indexed-free `GROUP BY` over the
    /// account table): at start and after every change of an account's existence or status. A failure is
    /// logged; the gauge keeps its last value.
    public func refreshAccountGauge() async {
        do {
            accountMetrics.recordCounts(try await accounts.countsByStatus())
        } catch {
            logger.error("counting accounts for pds_accounts failed", metadata: ["error": "\(error)"])
        }
    }
}
