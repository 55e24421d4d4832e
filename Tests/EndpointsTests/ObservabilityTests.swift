import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Endpoints

@Suite struct ObservabilityTests {
    @Test func requestIDIsHonouredOrGenerated() async throws {
        let server = TestServer()
        try await server.test { client in
            let sane = try await client.execute(uri: "/robots.txt", method: .get, headers: [RequestID.headerName: "abc.DEF_123-x"])
            #expect(sane.headers[RequestID.headerName] == "abc.DEF_123-x")

            for bad in ["has space", "semi;colon", String(repeating: "a", count: 129), "ünïcode"] {
                let response = try await client.execute(uri: "/robots.txt", method: .get, headers: [RequestID.headerName: bad])
                let id = try #require(response.headers[RequestID.headerName])
                #expect(id != bad)
                #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
            }
            let longest = String(repeating: "a", count: 128)
            let kept = try await client.execute(uri: "/robots.txt", method: .get, headers: [RequestID.headerName: longest])
            #expect(kept.headers[RequestID.headerName] == longest)

            let first = try await client.execute(uri: "/robots.txt", method: .get)
            let second = try await client.execute(uri: "/robots.txt", method: .get)
            #expect(first.headers[RequestID.headerName] != second.headers[RequestID.headerName])
            // Also on errors.
            let error = try await client.execute(uri: "/xrpc/a.b.unknown", method: .get, headers: [RequestID.headerName: "err-1"])
            #expect(error.headers[RequestID.headerName] == "err-1")
        }
    }

    @Test func countersMoveWithRequests() async throws {
        let server = TestServer()
        try await server.test(extraRoutes: registerTestMethods) { client in
            for _ in 0..<3 {
                _ = try await client.execute(uri: "/xrpc/com.example.query", method: .get)
            }
            _ = try await client.execute(uri: "/xrpc/com.example.query", method: .post)
            _ = try await client.execute(uri: "/robots.txt", method: .get)
            _ = try await client.execute(uri: "/xrpc/com.atproto.server.describeServer", method: .get)
        }
        let total = HTTPMetrics.requestsTotal
        #expect(server.sample(total, labels: ["method": "GET", "route": "com.example.query", "code": "200"]) == 3)
        #expect(server.sample(total, labels: ["method": "POST", "route": "com.example.query", "code": "400"]) == 1)
        #expect(server.sample(total, labels: ["method": "GET", "route": "/robots.txt", "code": "200"]) == 1)
        #expect(server.sample(total, labels: ["method": "GET", "route": "com.atproto.server.describeServer", "code": "200"]) == 1)
        #expect(server.sample("pds_http_request_duration_seconds_count", labels: ["method": "GET", "route": "com.example.query"]) == 3)
        #expect(server.sample("pds_http_response_size_bytes_count") == 6)
        #expect(server.sample("pds_http_requests_in_flight") == 0)
    }

    @Test func randomPathsDoNotCreateSeries() async throws {
        let server = TestServer()
        try await server.test { client in
            for index in 0..<20 {
                _ = try await client.execute(uri: "/random/\(UUID().uuidString)", method: .get)
                _ = try await client.execute(uri: "/xrpc/com.example.unknown\(index)", method: .get)
                _ = try await client.execute(uri: "/xrpc/bad_\(index)", method: .post)
                _ = try await client.execute(uri: "/x", method: HTTPRequest.Method("BREW\(index % 3)")!)
            }
        }
        let series = MetricsText.series(in: server.metrics.render()).filter { $0.name == HTTPMetrics.requestsTotal }
        let routes = Set(series.map { $0.labels["route"] ?? "" })
        let methods = Set(series.map { $0.labels["method"] ?? "" })
        #expect(routes == ["other"])
        #expect(methods == ["GET", "POST", "other"])
        #expect(series.count <= 4)
        #expect(series.reduce(0) { $0 + $1.value } == 80)
    }

    @Test func oneLogEventPerRequestWithFields() async throws {
        let server = TestServer()
        try await server.test(extraRoutes: registerTestMethods) { client in
            _ = try await client.execute(
                uri: "/xrpc/com.example.params?actor=alice&password=hunter2",
                method: .get,
                headers: [.authorization: "Bearer secret-token-value", RequestID.headerName: "req-42"]
            )
        }
        let entries = server.logs.requestEntries
        #expect(entries.count == 1)
        let entry = try #require(entries.first)
        #expect(entry.level == .info)
        #expect(entry.metadata["method"] == "GET")
        #expect(entry.metadata["route"] == "com.example.params")
        #expect(entry.metadata["status"] == "200")
        #expect(entry.metadata["request_id"] == "req-42")
        #expect(entry.metadata["path"] == nil)
        let duration = try #require(entry.metadata["duration_ms"].flatMap(Double.init))
        #expect(duration >= 0)
        let bytes = try #require(entry.metadata["bytes"].flatMap(Int.init))
        #expect(bytes > 0)
        let everything = server.logs.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!everything.contains("hunter2"))
        #expect(!everything.contains("secret-token-value"))
        #expect(!everything.contains("password"))
    }

    @Test func clientErrorsLogOneEventAtInfo() async throws {
        let server = TestServer(logLevel: .info)
        try await server.test(extraRoutes: registerTestMethods) { client in
            _ = try await client.execute(uri: "/xrpc/com.example.query", method: .post)
            _ = try await client.execute(uri: "/xrpc/com.example.missing", method: .get)
            _ = try await client.execute(uri: "/missing", method: .get)
        }
        #expect(server.logs.entries.count == 3)
        #expect(server.logs.requestEntries.map { $0.metadata["status"] } == ["400", "501", "404"])
        #expect(server.logs.requestEntries.map { $0.metadata["path"] } == [nil, "/xrpc/com.example.missing", "/missing"])

        let debug = TestServer(logLevel: .debug)
        try await debug.test(extraRoutes: registerTestMethods) { client in
            _ = try await client.execute(uri: "/xrpc/com.example.query", method: .post)
        }
        let detail = try #require(debug.logs.entries.first { $0.metadata["error"] != nil })
        #expect(detail.level == .debug)
        #expect(detail.metadata["error"] == "InvalidRequest")
        #expect(detail.metadata["error_message"] == "Incorrect HTTP method (POST) expected GET")
    }

    @Test func metricsPassPromtool() async throws {
        let server = TestServer { health in
            health.register(name: "db", kinds: [.liveness, .readiness]) {}
        }
        try await server.test(extraRoutes: registerTestMethods) { client in
            _ = try await client.execute(uri: "/xrpc/com.example.query", method: .get)
            _ = try await client.execute(uri: "/xrpc/com.example.crash", method: .get)
            _ = try await client.execute(uri: "/readyz", method: .get)
            _ = try await client.execute(uri: "/nope", method: .get)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = String(buffer: metrics.body)
            #expect(text.contains("# HELP pds_http_requests_total"))
            #expect(text.contains("# TYPE pds_http_request_duration_seconds histogram"))
            try Promtool.check(text)
        }
        #expect(server.metrics.unknownMetricNames().isEmpty)
    }
}

/// Runs `promtool check metrics` on exposition text.
enum Promtool {
    static let path = "/usr/bin/promtool"

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    static func check(_ text: String) throws {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            print("promtool not found at \(path): exposition check skipped")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let result = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failed(description: "promtool: \(String(decoding: result, as: UTF8.self))")
        }
    }
}
