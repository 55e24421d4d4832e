import CoreMetrics
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes log lines to a file descriptor from a dedicated thread, so that no event loop ever waits for
/// `write(2)`.
///
/// Lines are rendered straight into a bounded in-memory buffer (no per-line allocation). The writer thread
/// wakes when the buffer gets its first line, lets more lines gather for ``batchDelay`` and writes them all
/// with one `write(2)`. When the buffer already holds ``capacity`` bytes (the descriptor is stuck or too
/// slow), a line is dropped and counted in `pds_log_lines_dropped_total` rather than blocking the caller.
/// ``flush()`` waits until everything appended so far is written; it runs at process exit (`atexit`) and
/// when the server stops.
public final class LogWriter: @unchecked Sendable {
    /// The process's stderr writer, used by ``LogSink/standardError``.
    public static let standardError = LogWriter(fd: 2)

    /// Bytes kept at most before lines are dropped.
    public let capacity: Int
    /// How long the thread lets lines gather after the first one before writing.
    public let batchDelay: Duration
    private let fd: Int32

    private struct State {
        var pending = LineBuffer()
        /// Bytes appended and bytes written since the start (``flush()`` waits for `written >= appended`).
        var appended = 0
        var written = 0
        var dropped = 0
        var threadStarted = false
        var writerIdle = false
        var flushWaiters = 0
        /// While set the thread takes no batch (tests: a stuck descriptor, deterministically).
        var paused = false
        var droppedCounter: CoreMetrics.Counter?
    }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Signalled when lines arrive (or a flush is requested) while the writer is idle.
    private let linesArrived: UnsafeMutablePointer<pthread_cond_t>
    /// Broadcast when the writer finished a `write(2)` batch.
    private let batchWritten: UnsafeMutablePointer<pthread_cond_t>
    private let state: UnsafeMutablePointer<State>

    /// - Parameters:
    ///   - fd: the descriptor to write to (not closed by the writer).
    ///   - capacity: bytes buffered at most; further lines are dropped and counted.
    ///   - batchDelay: how long lines gather before a write.
    public init(fd: Int32, capacity: Int = 1 << 20, batchDelay: Duration = .milliseconds(1)) {
        self.fd = fd
        self.capacity = capacity
        self.batchDelay = batchDelay
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        linesArrived = .allocate(capacity: 1)
        pthread_cond_init(linesArrived, nil)
        batchWritten = .allocate(capacity: 1)
        pthread_cond_init(batchWritten, nil)
        state = .allocate(capacity: 1)
        state.initialize(to: State())
    }

    /// Counts dropped lines in this counter from now on (`pds_log_lines_dropped_total`).
    public func countDrops(in counter: CoreMetrics.Counter) {
        locked { $0.droppedCounter = counter }
    }

    /// Holds (true) or releases (false) the writer thread: while held, lines only accumulate (tests).
    func setPaused(_ paused: Bool) {
        locked { $0.paused = paused }
        pthread_cond_signal(linesArrived)
    }

    /// Lines dropped because the buffer was full, since the start.
    public var droppedLines: Int { locked { $0.dropped } }

    /// Appends one already-encoded line.
    public func append(_ bytes: [UInt8]) {
        append { $0.bytes.append(contentsOf: bytes) }
    }

    /// Renders one line into the buffer. `render` runs under the writer's lock: it must only append.
    func append(_ render: (inout LineBuffer) -> Void) {
        pthread_mutex_lock(mutex)
        let before = state.pointee.pending.bytes.count
        render(&state.pointee.pending)
        let added = state.pointee.pending.bytes.count - before
        if state.pointee.pending.bytes.count > capacity, before > 0 {
            state.pointee.pending.bytes.removeSubrange(before...)
            state.pointee.dropped += 1
            let counter = state.pointee.droppedCounter
            pthread_mutex_unlock(mutex)
            counter?.increment()
            return
        }
        state.pointee.appended += added
        if !state.pointee.threadStarted {
            state.pointee.threadStarted = true
            startThread()
        } else if state.pointee.writerIdle && before == 0 && !state.pointee.paused {
            pthread_cond_signal(linesArrived)
        }
        pthread_mutex_unlock(mutex)
    }

    /// Waits (at most `timeout`) until every line appended before the call is written.
    public func flush(timeout: Duration = .seconds(2)) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let target = state.pointee.appended
        guard state.pointee.written < target, state.pointee.threadStarted else { return }
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
        deadline.tv_sec += time_t(Int(seconds) + nanoseconds / 1_000_000_000)
        deadline.tv_nsec = .init(nanoseconds % 1_000_000_000)
        state.pointee.flushWaiters += 1
        defer { state.pointee.flushWaiters -= 1 }
        pthread_cond_signal(linesArrived)
        while state.pointee.written < target {
            if pthread_cond_timedwait(batchWritten, mutex, &deadline) == ETIMEDOUT { return }
        }
    }

    private func locked<T>(_ body: (inout State) -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body(&state.pointee)
    }

    /// Called with the lock held, once.
    private func startThread() {
        let thread = Thread { [self] in run() }
        thread.name = "pds-log-writer"
        thread.start()
        if self === LogWriter.standardError {
            atexit { LogWriter.standardError.flush() }
        }
    }

    private func run() {
        var batch: [UInt8] = []
        let (delaySeconds, delayAttoseconds) = batchDelay.components
        var delay = timespec(tv_sec: time_t(delaySeconds), tv_nsec: .init(delayAttoseconds / 1_000_000_000))
        pthread_mutex_lock(mutex)
        while true {
            while state.pointee.pending.bytes.isEmpty || state.pointee.paused {
                state.pointee.writerIdle = true
                pthread_cond_wait(linesArrived, mutex)
                state.pointee.writerIdle = false
            }
            if state.pointee.flushWaiters == 0, delay.tv_sec > 0 || delay.tv_nsec > 0 {
                // Let the lines of concurrent requests gather: one write(2) for all of them.
                pthread_mutex_unlock(mutex)
                nanosleep(&delay, nil)
                pthread_mutex_lock(mutex)
            }
            swap(&batch, &state.pointee.pending.bytes)
            pthread_mutex_unlock(mutex)

            LogSink.writeAll(fd: fd, batch)
            let count = batch.count
            // Keep the buffer's capacity for the next batch, unless a burst made it large.
            if batch.capacity > 64 << 10 {
                batch = []
            } else {
                batch.removeAll(keepingCapacity: true)
            }

            pthread_mutex_lock(mutex)
            state.pointee.written += count
            pthread_cond_broadcast(batchWritten)
        }
    }
}
