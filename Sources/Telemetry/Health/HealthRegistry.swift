import CoreMetrics
import Synchronization

/// Named liveness and readiness checks, run with a deadline each.
///
/// Results are exported as `pds_healthcheck{type,name}` (1 passed, 0 failed),
/// `pds_healthcheck_duration_seconds{name}` and `pds_healthchecks_total{type,name,status}`.
public final class HealthRegistry: Sendable {
    struct Check: Sendable {
        let name: String
        let kinds: Set<HealthCheckKind>
        let timeout: Duration
        let check: @Sendable () async throws -> Void
    }

    private let checks = Mutex<[Check]>([])
    /// Checks with a run that timed out and has not returned yet (it ignores cancellation).
    private let stuck = Mutex<Set<String>>([])
    private let metricsFactory: (any MetricsFactory)?

    /// - Parameter metricsFactory: where results are exported; `nil` uses the global `MetricsSystem`.
    public init(metricsFactory: (any MetricsFactory)? = nil) {
        self.metricsFactory = metricsFactory
    }

    /// Adds a check, replacing an earlier one with the same name. A check passes when it returns and
    /// fails when it throws (the error's description is the reason) or runs longer than `timeout`.
    public func register(
        name: String,
        kinds: Set<HealthCheckKind>,
        timeout: Duration = .seconds(2),
        check: @escaping @Sendable () async throws -> Void
    ) {
        let entry = Check(name: name, kinds: kinds, timeout: timeout, check: check)
        checks.withLock { checks in
            if let index = checks.firstIndex(where: { $0.name == name }) {
                checks[index] = entry
            } else {
                checks.append(entry)
            }
        }
    }

    /// Names of the checks of one kind, in registration order.
    public func names(_ kind: HealthCheckKind) -> [String] {
        checks.withLock { $0.filter { $0.kinds.contains(kind) }.map(\.name) }
    }

    /// Runs the checks of `kind` concurrently (or only the one named `name`; an unknown name gives a
    /// report with no results that is not ok). A kind with no checks registered is ok. A check that overruns its timeout fails with the
    /// reason "timed out" and is cancelled; the report does not wait for it to return. While such a
    /// run is still going, the check is not started again: it fails at once with "still running
    /// after timeout", so a wedged dependency cannot pile up stuck tasks.
    public func run(_ kind: HealthCheckKind, only name: String? = nil) async -> HealthReport {
        let selected = checks.withLock { checks in
            checks.filter { $0.kinds.contains(kind) && (name == nil || $0.name == name) }
        }
        let results = await withTaskGroup(of: (Int, HealthCheckResult).self) { group in
            for (index, check) in selected.enumerated() {
                group.addTask { (index, await self.execute(check)) }
            }
            var results = [HealthCheckResult?](repeating: nil, count: selected.count)
            for await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
        for result in results { export(result, kind: kind) }
        // No checks of a kind is healthy; asking for a check that does not exist is not.
        let ok = results.allSatisfy(\.ok) && (name == nil || !results.isEmpty)
        return HealthReport(ok: ok, results: results)
    }

    // MARK: Running one check

    private enum Outcome: Sendable {
        case passed
        case failed(String)
        case timedOut
        case cancelled
    }

    private func execute(_ check: Check) async -> HealthCheckResult {
        let clock = ContinuousClock()
        let start = clock.now
        guard !stuck.withLock({ $0.contains(check.name) }) else {
            return HealthCheckResult(name: check.name, ok: false, reason: "still running after timeout", duration: 0)
        }
        let latch = OutcomeLatch<Outcome>()
        let run = RunFlag()
        let work = Task { [self] in
            defer {
                self.stuck.withLock { stuck in
                    run.finished.store(true, ordering: .relaxed)
                    stuck.remove(check.name)
                }
            }
            do {
                try await check.check()
                latch.finish(.passed)
            } catch {
                latch.finish(.failed(String(describing: error)))
            }
        }
        let timer = Task {
            do {
                try await Task.sleep(for: check.timeout)
                latch.finish(.timedOut)
            } catch {
                // Cancelled because the check finished first.
            }
        }
        let outcome = await withTaskCancellationHandler {
            await latch.wait()
        } onCancel: {
            latch.finish(.cancelled)
        }
        if case .timedOut = outcome {
            // Under the same lock as the run's own clean-up, so a run that returns right now is not
            // left marked; otherwise the run clears the mark when it finally returns.
            stuck.withLock { stuck in
                if !run.finished.load(ordering: .relaxed) { stuck.insert(check.name) }
            }
        }
        work.cancel()
        timer.cancel()
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        switch outcome {
        case .passed:
            return HealthCheckResult(name: check.name, ok: true, reason: nil, duration: seconds)
        case .failed(let reason):
            return HealthCheckResult(name: check.name, ok: false, reason: reason, duration: seconds)
        case .timedOut:
            return HealthCheckResult(name: check.name, ok: false, reason: "timed out", duration: seconds)
        case .cancelled:
            return HealthCheckResult(name: check.name, ok: false, reason: "cancelled", duration: seconds)
        }
    }

    // MARK: Metrics

    private func export(_ result: HealthCheckResult, kind: HealthCheckKind) {
        let gaugeDimensions = [("type", kind.rawValue), ("name", result.name)]
        let countDimensions = gaugeDimensions + [("status", result.ok ? "success" : "error")]
        let nanoseconds = Int64((result.duration * 1e9).rounded())
        if let metricsFactory {
            Gauge(label: "pds_healthcheck", dimensions: gaugeDimensions, factory: metricsFactory).record(result.ok ? 1 : 0)
            Timer(label: "pds_healthcheck_duration_seconds", dimensions: [("name", result.name)], factory: metricsFactory)
                .recordNanoseconds(nanoseconds)
            Counter(label: "pds_healthchecks_total", dimensions: countDimensions, factory: metricsFactory).increment()
        } else {
            Gauge(label: "pds_healthcheck", dimensions: gaugeDimensions).record(result.ok ? 1 : 0)
            Timer(label: "pds_healthcheck_duration_seconds", dimensions: [("name", result.name)])
                .recordNanoseconds(nanoseconds)
            Counter(label: "pds_healthchecks_total", dimensions: countDimensions).increment()
        }
    }
}

/// Whether one run of a check has returned.
private final class RunFlag: Sendable {
    let finished = Atomic<Bool>(false)
}

/// Delivers the first of several racing outcomes to one waiter.
final class OutcomeLatch<Value: Sendable>: Sendable {
    private struct State: Sendable {
        var value: Value?
        var continuation: CheckedContinuation<Value, Never>?
    }

    private let state = Mutex(State())

    func finish(_ value: Value) {
        let continuation = state.withLock { state -> CheckedContinuation<Value, Never>? in
            guard state.value == nil else { return nil }
            state.value = value
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: value)
    }

    func wait() async -> Value {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Value? in
                if let value = state.value { return value }
                state.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
