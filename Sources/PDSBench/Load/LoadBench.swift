import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `pds-bench load`: the repository load benchmark of issue 4, against a running server.
///
/// Creates `--clients` accounts (with `--invite-code`, or a code made with `--admin-password`), then measures
/// createRecord throughput and p50/p99 latency with 1 client writing to one repo and with every client writing to
/// its own repo, then getRecord and listRecords throughput, and the server's idle resident memory before and after.
/// The server needs a PLC directory that accepts the new DIDs (`pds-bench plc`) and should run with
/// `PDS_RATE_LIMITS_ENABLED=false`. `scripts/bench-repo.sh` does all of it.
struct LoadBench {
    struct Options: Sendable {
        var url = "http://127.0.0.1:2583"
        var adminPassword: String? = ProcessInfo.processInfo.environment["PDS_ADMIN_PASSWORD"]
        var inviteCode: String? = ProcessInfo.processInfo.environment["PDS_BENCH_INVITE_CODE"]
        var handleDomain = ".test"
        var clients = 16
        var duration = 10.0
        var warmup = 1.0
        var idleSeconds = 3.0
        var pid: Int32?
        /// Which phases run (all by default); `get` and `list` need records, so they imply at least one create phase.
        var phases: Set<String> = Self.allPhases
        static let allPhases: Set<String> = ["create1", "create", "get", "list"]

        static let usage = """
            usage: pds-bench load [--url http://127.0.0.1:2583] [--admin-password PW | --invite-code CODE]
                                  [--clients 16] [--duration 10] [--warmup 1] [--handle-domain .test] [--pid PID]
                                  [--phases create1,create,get,list]
              env: PDS_ADMIN_PASSWORD, PDS_BENCH_INVITE_CODE. Memory comes from /proc/PID/status with --pid,
              else from the server's process_resident_memory_bytes on /metrics.
            """

        init(arguments: [String]) throws {
            var rest = arguments[...]
            func value(_ flag: String) throws -> String {
                guard let value = rest.popFirst() else { throw BenchError("\(flag) needs a value\n\(Self.usage)") }
                return value
            }
            func number(_ flag: String) throws -> Double {
                let text = try value(flag)
                guard let number = Double(text), number > 0 else { throw BenchError("\(flag): not a positive number: \(text)") }
                return number
            }
            while let flag = rest.popFirst() {
                switch flag {
                case "--help", "-h": throw BenchError(Self.usage)
                case "--url": url = try value(flag)
                case "--admin-password": adminPassword = try value(flag)
                case "--invite-code": inviteCode = try value(flag)
                case "--handle-domain": handleDomain = try value(flag)
                case "--clients": clients = Int(try number(flag))
                case "--duration": duration = try number(flag)
                case "--warmup": warmup = try number(flag)
                case "--idle-seconds": idleSeconds = try number(flag)
                case "--phases":
                    let names = Set(try value(flag).split(separator: ",").map(String.init))
                    guard !names.isEmpty, names.isSubset(of: Self.allPhases) else {
                        throw BenchError("--phases: a comma-separated subset of create1,create,get,list")
                    }
                    phases = names
                case "--pid":
                    guard let pid = Int32(try value(flag)) else { throw BenchError("--pid: not a process id") }
                    self.pid = pid
                default: throw BenchError("unknown option \(flag)\n\(Self.usage)")
                }
            }
        }
    }

    struct Account: Sendable {
        let did: String
        let accessJwt: String
    }

    let options: Options
    let address: ServerAddress
    static let collection = "app.bsky.feed.post"

    init(options: Options) throws {
        self.options = options
        self.address = try ServerAddress(url: options.url)
    }

    // MARK: Run

    func run() throws {
        let address = address
        let control = HTTPConnection(address)
        let health = try control.exchange(HTTPRequestBytes.make(method: "GET", path: "/xrpc/_health", host: address.hostHeader))
        guard health.status == 200 else { throw BenchError("\(options.url)/xrpc/_health answered \(health.status): \(health.text)") }
        print("server \(options.url): \(health.text); \(ProcessInfo.processInfo.activeProcessorCount) CPUs, load average \(Self.loadAverage())")

        Thread.sleep(forTimeInterval: options.idleSeconds)
        let idleBefore = try residentMemory(control)

        let accounts = try createAccounts(control)
        print("created \(accounts.count) accounts")
        let connections = accounts.map { _ in HTTPConnection(address) }
        let rkeys = Locked(accounts.map { _ in [String]() })

        print("")
        print("phase                                    req/s      p50 ms   p99 ms   requests  errors")
        let createdAt = ISO8601DateFormatter().string(from: Date())
        let createRecord: @Sendable (Int, Int) -> [UInt8] = { client, sequence in
            let account = accounts[client]
            let body = #"{"repo":"\#(account.did)","collection":"\#(Self.collection)","record":{"$type":"\#(Self.collection)","text":"load benchmark post \#(sequence) from client \#(client)","createdAt":"\#(createdAt)"}}"#
            return HTTPRequestBytes.make(
                method: "POST", path: "/xrpc/com.atproto.repo.createRecord", host: address.hostHeader,
                headers: [("Authorization", "Bearer \(account.accessJwt)")], body: Array(body.utf8))
        }
        let keepRKey: @Sendable (Int, HTTPReply) -> Void = { client, reply in
            guard let rkey = Self.rkey(inCreateReply: reply.body) else { return }
            rkeys.withLock { $0[client].append(rkey) }
        }
        var results: [Phase.Result] = []
        let phases = options.phases
        if phases.contains("create1") {
            results.append(
                Phase(name: "createRecord, 1 client, 1 repo", clients: 1, options: options)
                    .run(connections: connections, request: createRecord, onReply: keepRKey))
        }
        // The read phases need records in every repo.
        if phases.contains("create") || phases.contains("get") || phases.contains("list") {
            results.append(
                Phase(name: "createRecord, \(accounts.count) clients, \(accounts.count) repos", clients: accounts.count, options: options)
                    .run(connections: connections, request: createRecord, onReply: keepRKey))
        }

        let written = rkeys.withLock { $0 }
        if phases.contains("get") || phases.contains("list"), !written.allSatisfy({ !$0.isEmpty }) {
            throw BenchError("some client created no record; cannot read")
        }
        if phases.contains("get") {
            results.append(
                Phase(name: "getRecord, \(accounts.count) clients", clients: accounts.count, options: options)
                    .run(connections: connections) { client, sequence in
                        let keys = written[client]
                        let path = "/xrpc/com.atproto.repo.getRecord?repo=\(accounts[client].did)&collection=\(Self.collection)&rkey=\(keys[sequence % keys.count])"
                        return HTTPRequestBytes.make(method: "GET", path: path, host: address.hostHeader)
                    })
        }
        if phases.contains("list") {
            results.append(
                Phase(name: "listRecords (limit 50), \(accounts.count) clients", clients: accounts.count, options: options)
                    .run(connections: connections) { client, sequence in
                        let path = "/xrpc/com.atproto.repo.listRecords?repo=\(accounts[client].did)&collection=\(Self.collection)&limit=50&reverse=\(sequence % 2 == 0)"
                        return HTTPRequestBytes.make(method: "GET", path: path, host: address.hostHeader)
                    })
        }

        Thread.sleep(forTimeInterval: options.idleSeconds)
        let idleAfter = try residentMemory(control)
        print("")
        let total = written.reduce(0) { $0 + $1.count }
        print("records written: \(total) in \(accounts.count) repos")
        print(String(format: "server resident memory, idle: %.1f MB before the load, %.1f MB after it", idleBefore / 1e6, idleAfter / 1e6))
        if results.contains(where: { $0.errors > 0 }) {
            throw BenchError("some requests failed (see the errors column)")
        }
    }

    // MARK: Setup

    private func createAccounts(_ control: HTTPConnection) throws -> [Account] {
        var invite = options.inviteCode
        if invite == nil, let password = options.adminPassword {
            let basic = Data("admin:\(password)".utf8).base64EncodedString()
            let reply = try control.exchange(
                HTTPRequestBytes.make(
                    method: "POST", path: "/xrpc/com.atproto.server.createInviteCode", host: address.hostHeader,
                    headers: [("Authorization", "Basic \(basic)")], body: Array(#"{"useCount":\#(options.clients)}"#.utf8)))
            guard reply.status == 200, let code = try reply.json()["code"] as? String else {
                throw BenchError("createInviteCode answered \(reply.status): \(reply.text)")
            }
            invite = code
        }
        let run = String((0..<6).map { _ in "abcdefghijklmnopqrstuvwxyz234567".randomElement()! })
        return try (0..<options.clients).map { index in
            let handle = "b\(run)\(index)\(options.handleDomain)"
            var input: [String: Any] = [
                "handle": handle, "email": "b\(run)\(index)@bench.example.com", "password": "bench-password-\(run)",
            ]
            if let invite { input["inviteCode"] = invite }
            let body = try JSONSerialization.data(withJSONObject: input)
            let reply = try control.exchange(
                HTTPRequestBytes.make(
                    method: "POST", path: "/xrpc/com.atproto.server.createAccount", host: address.hostHeader, body: Array(body)))
            let object = try reply.json()
            guard reply.status == 200, let did = object["did"] as? String, let jwt = object["accessJwt"] as? String else {
                throw BenchError("createAccount \(handle) answered \(reply.status): \(reply.text)")
            }
            return Account(did: did, accessJwt: jwt)
        }
    }

    // MARK: Measurements

    /// The server's resident memory in bytes.
    private func residentMemory(_ control: HTTPConnection) throws -> Double {
        if let pid = options.pid {
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
                let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
            else { throw BenchError("no VmRSS in /proc/\(pid)/status") }
            return kilobytes * 1024
        }
        let reply = try control.exchange(HTTPRequestBytes.make(method: "GET", path: "/metrics", host: address.hostHeader))
        for line in reply.text.split(separator: "\n") where line.hasPrefix("process_resident_memory_bytes ") {
            if let value = Double(line.split(separator: " ").last ?? "") { return value }
        }
        throw BenchError("/metrics has no process_resident_memory_bytes; pass --pid")
    }

    static func loadAverage() -> String {
        var loads = [Double](repeating: 0, count: 3)
        guard getloadavg(&loads, 3) == 3 else { return "unknown" }
        return loads.map { String(format: "%.2f", $0) }.joined(separator: " ")
    }

    /// The rkey of `"uri":"at://did/collection/rkey"` in a createRecord reply.
    static func rkey(inCreateReply body: [UInt8]) -> String? {
        let marker = Array(#""uri":""#.utf8)
        guard body.count > marker.count else { return nil }
        for start in 0...(body.count - marker.count) where body[start] == marker[0] {
            guard Array(body[start..<(start + marker.count)]) == marker else { continue }
            let valueStart = start + marker.count
            guard let end = body[valueStart...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            let uri = String(decoding: body[valueStart..<end], as: UTF8.self)
            return uri.split(separator: "/").last.map(String.init)
        }
        return nil
    }
}

/// A value shared between the client threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// One measured phase: `clients` threads, each with its own connection, sending requests back to back.
struct Phase {
    let name: String
    let clients: Int
    let options: LoadBench.Options

    struct Result: Sendable {
        var requests = 0
        var errors = 0
        var latencies: [Double] = []
        var firstError: String?
    }

    func run(
        connections: [HTTPConnection],
        request: @escaping @Sendable (_ client: Int, _ sequence: Int) -> [UInt8],
        onReply: @escaping @Sendable (_ client: Int, _ reply: HTTPReply) -> Void = { _, _ in }
    ) -> Result {
        let start = Date()
        let measureFrom = start.addingTimeInterval(options.warmup)
        let end = measureFrom.addingTimeInterval(options.duration)
        let perClient = Locked([Result](repeating: Result(), count: clients))
        let group = DispatchGroup()
        for client in 0..<clients {
            group.enter()
            let connection = connections[client]
            let thread = Thread {
                var result = Result()
                result.latencies.reserveCapacity(65_536)
                var sequence = 0
                while true {
                    let began = Date()
                    if began >= end { break }
                    let bytes = request(client, sequence)
                    sequence += 1
                    let clockStart = ContinuousClock.now
                    let reply: HTTPReply
                    do {
                        reply = try connection.exchange(bytes)
                    } catch {
                        if began >= measureFrom { result.errors += 1 }
                        result.firstError = result.firstError ?? "\(error)"
                        continue
                    }
                    let elapsed = ContinuousClock.now - clockStart
                    onReply(client, reply)
                    guard began >= measureFrom else { continue }
                    if reply.status != 200 {
                        result.errors += 1
                        result.firstError = result.firstError ?? "HTTP \(reply.status): \(reply.text.prefix(200))"
                        continue
                    }
                    result.requests += 1
                    result.latencies.append(
                        Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15)
                }
                perClient.withLock { $0[client] = result }
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        var total = Result()
        for result in perClient.withLock({ $0 }) {
            total.requests += result.requests
            total.errors += result.errors
            total.latencies += result.latencies
            total.firstError = total.firstError ?? result.firstError
        }
        total.latencies.sort()
        func percentile(_ p: Double) -> Double {
            guard !total.latencies.isEmpty else { return .nan }
            return total.latencies[min(total.latencies.count - 1, Int(Double(total.latencies.count) * p))]
        }
        let rate = Double(total.requests) / options.duration
        print(
            name.padding(toLength: 38, withPad: " ", startingAt: 0)
                + String(format: " %9.0f  %8.2f %8.2f %10d %7d", rate, percentile(0.50), percentile(0.99), total.requests, total.errors))
        if let firstError = total.firstError { print("  first error: \(firstError)") }
        return total
    }
}
