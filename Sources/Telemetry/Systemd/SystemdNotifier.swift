import CSystemd
import Foundation

/// Talks to the service manager through `NOTIFY_SOCKET` (sd_notify(3)). Without `NOTIFY_SOCKET`
/// every call is a silent no-op.
///
/// When the given environment is the process's own, messages go through libsystemd's `sd_notify`;
/// when a test injects a different `NOTIFY_SOCKET`, the same datagram is sent to it directly.
public final class SystemdNotifier: Sendable {
    private let socketPath: String?
    private let useLibsystemd: Bool
    private let socket: UnixDatagramSocket?
    public let watchdogInterval: Duration?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        self.socketPath = path
        let processValue = getenv("NOTIFY_SOCKET").map { String(cString: $0) }
        self.useLibsystemd = path != nil && path == processValue
        self.socket = path != nil && !useLibsystemd ? UnixDatagramSocket() : nil
        self.watchdogInterval = Self.watchdogInterval(environment: environment, pid: getpid())
    }

    /// True when `NOTIFY_SOCKET` is set.
    public var isEnabled: Bool { socketPath != nil }

    /// `READY=1`, with an optional `STATUS=` line in the same message.
    public func ready(status: String?) {
        var message = "READY=1"
        if let status { message += "\nSTATUS=\(Self.oneLine(status))" }
        send(message)
    }

    /// `STATUS=<one line>`.
    public func status(_ s: String) {
        send("STATUS=\(Self.oneLine(s))")
    }

    /// `STOPPING=1`.
    public func stopping() {
        send("STOPPING=1")
    }

    /// `WATCHDOG=1`.
    public func watchdogPing() {
        send("WATCHDOG=1")
    }

    /// `EXTEND_TIMEOUT_USEC=`: asks for more time during a long start (migrations) or stop.
    public func extendTimeout(_ duration: Duration) {
        send("EXTEND_TIMEOUT_USEC=\(Self.microseconds(duration))")
    }

    /// Sends raw `KEY=value` lines. Returns false when disabled or when delivery failed.
    @discardableResult
    public func send(_ message: String) -> Bool {
        guard let socketPath else { return false }
        if useLibsystemd {
            return sd_notify(0, message) > 0
        }
        guard let socket else { return false }
        return socket.send(Array(message.utf8), to: socketPath) == 0
    }

    /// Half of `WATCHDOG_USEC`, when it is set and `WATCHDOG_PID` is absent or equal to `pid`.
    static func watchdogInterval(environment: [String: String], pid: Int32) -> Duration? {
        guard let value = environment["WATCHDOG_USEC"], let usec = UInt64(value), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"], !owner.isEmpty {
            guard let ownerPID = Int32(owner), ownerPID == pid else { return nil }
        }
        return .microseconds(Int64(clamping: usec / 2))
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }

    private static func microseconds(_ duration: Duration) -> Int64 {
        let components = duration.components
        return components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}
