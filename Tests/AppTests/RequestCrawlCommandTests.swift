import Foundation
import PDSTestSupport
import Testing

/// `pds request-crawl` against loopback test relays.
@Suite struct RequestCrawlCommandTests {
    @Test func asksTheGivenHostsAndPrintsOneLineEach() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let relay = try await TestRelay.start()
        defer { Task { await relay.stop() } }
        let arguments = [
            "request-crawl", "--data-dir", dir.url.appendingPathComponent("data").path, "--hostname", "pds.example.com",
            relay.url,
        ]
        let result = try await onOwnThread { [dir] in try PDSProcess.run(arguments, directory: dir.url) }
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("\(relay.url): ok for pds.example.com (HTTP 200, 1 attempt, "), "\(result.stdout)")
        #expect(result.stdout.split(separator: "\n").count == 1)
        #expect(relay.requests == [TestRelay.Request(hostname: "pds.example.com", contentType: "application/json")])
    }

    @Test func asksTheConfiguredCrawlersAndFailsWhenOneRefuses() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let good = try await TestRelay.start()
        let bad = try await TestRelay.start()
        defer { Task { await good.stop(); await bad.stop() } }
        bad.mode = .refusing
        var environment = PDSProcess.baseEnvironment()
        environment["PDS_CRAWLERS"] = "\(good.url),\(bad.url)"
        environment["PDS_HOSTNAME"] = "pds.example.com"
        let result = try await onOwnThread { [dir, environment] in
            try PDSProcess.run(
                ["request-crawl", "--data-dir", dir.url.appendingPathComponent("data").path], environment: environment,
                directory: dir.url)
        }
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("\(good.url): ok for pds.example.com (HTTP 200") == true, "\(lines)")
        #expect(lines.last?.hasPrefix("\(bad.url): rejected for pds.example.com (HTTP 400, 1 attempt, ") == true, "\(lines)")
        #expect(lines.last?.hasSuffix(": \(TestRelay.refusalMessage)") == true, "\(lines)")
        #expect(good.requestCount == 1)
        #expect(bad.requestCount == 1)
    }

    @Test func withoutARelayItIsAConfigurationError() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let result = try await onOwnThread { [dir] in
            try PDSProcess.run(["request-crawl", "--data-dir", dir.url.appendingPathComponent("data").path], directory: dir.url)
        }
        #expect(result.status == 78)
        #expect(result.stderr == "pds: no relay to ask: set PDS_CRAWLERS (firehose.crawlers) or name hosts\n")
        #expect(result.stdout.isEmpty)
    }
}
