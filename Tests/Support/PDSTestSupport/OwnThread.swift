import Foundation

/// Runs blocking work (socket calls, waiting for a child process) on a thread of its own: blocking the
/// cooperative pool, which also runs the handlers of in-process test servers (PLC directory, relay), can stall
/// both on a small machine.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}
