import Foundation
import Testing

@testable import Telemetry

@Suite("Process metrics")
struct ProcessMetricsTests {
    @Test("sampled values are sane")
    func sane() throws {
        let sample = try #require(ProcessMetrics.sample())
        let now = Date().timeIntervalSince1970
        #expect(sample.cpuSeconds > 0 && sample.cpuSeconds < 1e6)
        #expect(sample.residentMemoryBytes > 1_000_000)
        #expect(sample.virtualMemoryBytes >= sample.residentMemoryBytes)
        #expect(sample.openFDs >= 3)
        #expect(sample.maxFDs >= sample.openFDs)
        #expect(sample.startTimeSeconds <= now + 1 && sample.startTimeSeconds > now - 86_400)
        #expect(sample.threads >= 1)
        // Opening a descriptor is visible in the next sample.
        let fd = open("/dev/null", O_RDONLY)
        defer { close(fd) }
        let after = try #require(ProcessMetrics.sample())
        #expect(after.openFDs >= sample.openFDs + 1 || after.openFDs >= 4)
        #expect(after.cpuSeconds >= sample.cpuSeconds)
    }

    @Test("render exports the process families with these values")
    func rendered() throws {
        let exposition = Exposition(TelemetryMetrics().render())
        for name in [
            "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds",
            "process_max_fds", "process_start_time_seconds", "process_threads",
        ] {
            let value = try #require(exposition.value(name), "\(name) missing")
            #expect(value > 0, "\(name) = \(value)")
        }
        #expect(exposition.types["process_cpu_seconds_total"] == "counter")
    }

    @Test("stat parsing counts fields after the last parenthesis")
    func statParsing() throws {
        let line =
            "4242 (pds (worker) 1) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 17 0 123456 987654321 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
        let fields = try #require(ProcessMetrics.parseStat(line))
        #expect(fields == ProcessMetrics.StatFields(utime: 250, stime: 50, threads: 17, startTicks: 123456, vsize: 987654321, rssPages: 2048))
        #expect(ProcessMetrics.parseStat("garbage") == nil)
        #expect(ProcessMetrics.parseStat("1 (x) S 1 2") == nil)
        #expect(ProcessMetrics.parseBootTime("cpu 1 2 3\nbtime 1795600000\nprocesses 5\n") == 1_795_600_000)
        #expect(ProcessMetrics.parseBootTime("cpu 1 2 3\n") == nil)
    }
}
