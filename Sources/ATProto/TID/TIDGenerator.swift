import Foundation
import Synchronization

/// Generates TIDs for one process: strictly increasing, never repeated, and never going back
/// even when the wall clock does (a later TID then borrows the next free microsecond).
/// Thread-safe; share one generator per process (or per clock id).
public final class TIDGenerator: Sendable {
    /// A process-wide generator with a random clock id, for callers that do not keep their own.
    public static let shared = TIDGenerator()

    /// The clock id written into every TID (0...1023).
    public let clockID: UInt16
    private let lastTimestamp: Mutex<UInt64>
    private let clock: @Sendable () -> UInt64

    /// - Parameter clockID: the 10-bit clock id (masked to 0...1023); random when nil.
    public convenience init(clockID: UInt16? = nil) {
        self.init(clockID: clockID, clock: TIDGenerator.wallClockMicros)
    }

    /// A generator reading its time (microseconds since the UNIX epoch) from `clock`, for tests.
    init(clockID: UInt16?, clock: @escaping @Sendable () -> UInt64) {
        self.clockID = (clockID ?? UInt16.random(in: 0...TID.maxClockID)) & TID.maxClockID
        self.lastTimestamp = Mutex(0)
        self.clock = clock
    }

    /// The next TID: greater than every TID this generator returned before.
    public func next() -> TID {
        let now = min(clock(), TID.maxTimestampMicros)
        let timestamp = lastTimestamp.withLock { last in
            // At the 53-bit limit (year 2255) the timestamp can not grow; stay on the last value.
            let next = now > last ? now : min(last + 1, TID.maxTimestampMicros)
            last = next
            return next
        }
        return TID(timestampMicros: timestamp, clockID: clockID)
    }

    /// The next TID that is also greater than `previous` (for example a repository's last commit
    /// rev, which may come from a clock that ran ahead). Nil only when `previous` already holds
    /// the largest possible timestamp.
    public func next(after previous: TID) -> TID? {
        let floor = previous.timestampMicros
        guard floor < TID.maxTimestampMicros else { return nil }
        let now = min(clock(), TID.maxTimestampMicros)
        let timestamp = lastTimestamp.withLock { last in
            let next = max(now, min(last + 1, TID.maxTimestampMicros), floor + 1)
            last = max(last, next)
            return next
        }
        return TID(timestampMicros: timestamp, clockID: clockID)
    }

    @Sendable static func wallClockMicros() -> UInt64 {
        let micros = Date().timeIntervalSince1970 * 1_000_000
        guard micros > 0 else { return 0 }
        return micros < Double(TID.maxTimestampMicros) ? UInt64(micros) : TID.maxTimestampMicros
    }
}
