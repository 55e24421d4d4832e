import ATProto
import CoreMetrics
import Foundation
import Storage

/// The repository write metrics: `pds_repo_commits_total`, `pds_repo_writes_total{action}`,
/// `pds_repo_commit_duration_seconds`, `pds_repo_commit_size_bytes`, `pds_repo_blocks_written_total`.
/// Handles are made once (making one per commit went through the factory's lookup each time).
struct RepoMetrics: Sendable {
    private let commits: Counter
    private let writesByAction: [RepoOperation.Action: Counter]
    private let duration: CoreMetrics.Timer
    private let size: Recorder
    private let blocks: Counter

    init(factory: any MetricsFactory) {
        commits = Counter(label: "pds_repo_commits_total", factory: factory)
        var writesByAction: [RepoOperation.Action: Counter] = [:]
        for action in [RepoOperation.Action.create, .update, .delete] {
            writesByAction[action] = Counter(
                label: "pds_repo_writes_total", dimensions: [("action", action.rawValue)], factory: factory)
        }
        self.writesByAction = writesByAction
        duration = CoreMetrics.Timer(label: "pds_repo_commit_duration_seconds", factory: factory)
        size = Recorder(label: "pds_repo_commit_size_bytes", aggregate: true, factory: factory)
        blocks = Counter(label: "pds_repo_blocks_written_total", factory: factory)
    }

    func record(_ outcome: CommitOutcome, duration elapsed: Duration) {
        commits.increment()
        for applied in outcome.applied {
            writesByAction[applied.action]?.increment()
        }
        duration.recordNanoseconds(elapsed.nanoseconds)
        size.record(outcome.bytesWritten)
        blocks.increment(by: outcome.blocksWritten)
    }
}
