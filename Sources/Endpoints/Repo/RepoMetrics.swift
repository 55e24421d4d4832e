import CoreMetrics
import Foundation
import Storage

/// The repository write metrics: `pds_repo_commits_total`, `pds_repo_writes_total{action}`,
/// `pds_repo_commit_duration_seconds`, `pds_repo_commit_size_bytes`, `pds_repo_blocks_written_total`.
struct RepoMetrics: Sendable {
    let factory: any MetricsFactory

    func record(_ outcome: CommitOutcome, duration: Duration) {
        Counter(label: "pds_repo_commits_total", factory: factory).increment()
        for applied in outcome.applied {
            Counter(label: "pds_repo_writes_total", dimensions: [("action", applied.action.rawValue)], factory: factory)
                .increment()
        }
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        Timer(label: "pds_repo_commit_duration_seconds", factory: factory).recordNanoseconds(nanoseconds)
        Recorder(label: "pds_repo_commit_size_bytes", aggregate: true, factory: factory).record(outcome.bytesWritten)
        Counter(label: "pds_repo_blocks_written_total", factory: factory).increment(by: outcome.blocksWritten)
    }
}
