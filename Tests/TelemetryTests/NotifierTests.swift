import Foundation
import Testing

@testable import Telemetry

@Suite("SystemdNotifier")
struct NotifierTests {
    @Test("sends READY=1 with STATUS, STATUS, WATCHDOG=1, STOPPING=1 to NOTIFY_SOCKET", arguments: [false, true])
    func messages(abstract: Bool) throws {
        let receiver = try DatagramReceiver(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path])
        #expect(notifier.isEnabled)

        notifier.ready(status: "serving on 127.0.0.1:2583")
        #expect(receiver.receive() == "READY=1\nSTATUS=serving on 127.0.0.1:2583")
        notifier.ready(status: nil)
        #expect(receiver.receive() == "READY=1")
        notifier.status("draining\n2 requests")
        #expect(receiver.receive() == "STATUS=draining 2 requests")
        notifier.watchdogPing()
        #expect(receiver.receive() == "WATCHDOG=1")
        notifier.extendTimeout(.seconds(90))
        #expect(receiver.receive() == "EXTEND_TIMEOUT_USEC=90000000")
        notifier.stopping()
        #expect(receiver.receive() == "STOPPING=1")
        #expect(receiver.receive(timeout: .milliseconds(50)) == nil)
    }

    @Test("silent without NOTIFY_SOCKET")
    func disabled() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        #expect(!notifier.send("READY=1"))
        notifier.ready(status: "x")
        notifier.watchdogPing()
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": ""]).isEnabled == false)
    }

    @Test("a socket nobody listens on reports failure")
    func unreachable() {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/h1-notify.sock"])
        #expect(notifier.isEnabled)
        #expect(!notifier.send("READY=1"))
    }

    @Test("watchdog interval is half of WATCHDOG_USEC, only for our PID")
    func watchdogInterval() {
        let pid = getpid()
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "2000000"]).watchdogInterval == .seconds(1))
        #expect(
            SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(pid)"]).watchdogInterval
                == .seconds(15)
        )
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(pid + 1)"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "banana"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "0"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: [:]).watchdogInterval == nil)
    }
}
