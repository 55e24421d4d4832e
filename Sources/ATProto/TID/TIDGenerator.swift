import Foundation
import Synchronization

/// Generates TIDs for one process: `next()` is strictly increasing, never repeats, and never
/// goes back even when the wall clock does (a later TID then borrows the next free microsecond).
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

    /// The next TID that is also greater than `previous`, for example a repository's next commit
    /// rev after its last one. Normally that is just `next()`; when `previous` is ahead (it came
    /// from a clock that ran fast, or from imported data) the result is `previous`'s timestamp
    /// plus one microsecond with this generator's clock id. That case does not move the
    /// generator itself forward, so one repository's future-dated rev can not drag every later
    /// TID of the process into the future. Nil only when no larger timestamp exists.
    public func next(after previous: TID) -> TID? {
        let fresh = next()
        if fresh > previous { return fresh }
        let floor = previous.timestampMicros
        guard floor < TID.maxTimestampMicros else { return nil }
        return TID(timestampMicros: floor + 1, clockID: clockID)
    }

    @Sendable static func wallClockMicros() -> UInt64 {
        let micros = Date().timeIntervalSince1970 * 1_000_000
        guard micros > 0 else { return 0 }
        return micros < Double(TID.maxTimestampMicros) ? UInt64(micros) : TID.maxTimestampMicros
    }
}
