import ATProto
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Storage
import Telemetry

@testable import Endpoints

/// A server with real services whose PLC client talks to a ``TestPLCDirectory`` on loopback: handles under
/// `.pds.example.com`, public URL `https://pds.example.com`, a cheap scrypt cost.
final class AccountsHarness: Sendable {
    static let jwtSecret = Array("accounts-test-jwt-secret".utf8)

    let directory: URL
    let settings: ServerSettings
    let metrics: TelemetryMetrics
    let health: HealthRegistry
    let logs: LogCapture
    let database: Storage.Database
    let services: PDSServices
    let plc: TestPLCDirectory
    let rotationKey: K256PrivateKey
    /// The TXT records other servers' handles resolve through (none unless a test adds some); their HTTPS
    /// well-known URLs point at a closed loopback port.
    let foreignTXT = StubTXTLookup()
    /// The blob store under the temporary folder (`withBlobs`), else nil.
    let blobs: DiskBlobStore?

    /// - Parameters:
    ///   - inviteRequired: whether createAccount needs an invite code.
    ///   - plcURL: the directory the PLC client uses (default: the started test directory).
    ///   - plcAttempts: attempts per PLC request.
    ///   - withBlobs: give the services a disk blob store (uploadBlob).
    ///   - hostname: the server's host name (its DID is `did:web:<hostname>`, handles under `.<hostname>`).
    ///   - rateLimits: rate-limit settings (default: off).
    ///   - adjust: last changes to the server settings.
    init(
        inviteRequired: Bool = false, plcURL: String? = nil, plcAttempts: Int = 2, withBlobs: Bool = false,
        hostname: String = "pds.example.com", rateLimits: RateLimitSettings = .disabled,
        adjust: (inout ServerSettings) -> Void = { _ in }, mailer: (any Mailer)? = nil
    ) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "accounts-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var settings = ServerSettings(
            hostname: hostname, port: 0, version: "1.2.3", revision: "abc", maxRequestBodyBytes: 65_536,
            inviteRequired: inviteRequired, healthCacheTTL: .zero)
        adjust(&settings)
        self.settings = settings
        metrics = TelemetryMetrics()
        health = HealthRegistry(metricsFactory: metrics.factory)
        logs = LogCapture()
        database = try await Storage.Database.open(
            path: directory.appendingPathComponent("pds.sqlite").path, metricsFactory: metrics.factory,
            logger: logs.logger())
        try await database.migrate()
        plc = try await TestPLCDirectory.start()
        rotationKey = K256PrivateKey()
        blobs = withBlobs ? try DiskBlobStore(root: directory.appendingPathComponent("blobs"), database: database) : nil
        let client = HTTPPLCClient(
            settings: .init(
                directoryURL: plcURL ?? plc.url, timeout: .seconds(5), maxAttempts: plcAttempts,
                initialBackoff: .milliseconds(10)),
            metricsFactory: metrics.factory, logger: logs.logger())
        services = PDSServices(
            database: database,
            secrets: ServerSecrets(jwtSecret: Self.jwtSecret, adminPassword: "admin-secret", plcRotationKey: rotationKey),
            serviceDID: settings.serviceDID,
            metricsFactory: metrics.factory,
            rateLimits: rateLimits,
            passwords: PasswordHasher(cost: PasswordHasher.Cost(n: 1024, r: 8, p: 1)),
            logger: logs.logger(),
            plc: client,
            blobs: blobs,
            handleResolver: HandleResolver(
                settings: .init(wellKnownURL: { "http://127.0.0.1:1/\($0)/.well-known/atproto-did" }), txt: foreignTXT,
                metricsFactory: metrics.factory, logger: logs.logger()),
            mailer: mailer)
    }

    /// Stops the directory, closes the database, removes the temporary folder.
    func close() async {
        await plc.stop()
        try? database.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` against a fresh harness and closes it afterwards, also when `body` throws.
    static func with<Value>(
        inviteRequired: Bool = false, plcURL: String? = nil, plcAttempts: Int = 2, withBlobs: Bool = false,
        hostname: String = "pds.example.com", rateLimits: RateLimitSettings = .disabled,
        adjust: (inout ServerSettings) -> Void = { _ in }, mailer: (any Mailer)? = nil,
        _ body: (AccountsHarness) async throws -> Value
    ) async throws -> Value {
        let harness = try await AccountsHarness(
            inviteRequired: inviteRequired, plcURL: plcURL, plcAttempts: plcAttempts, withBlobs: withBlobs,
            hostname: hostname, rateLimits: rateLimits, adjust: adjust, mailer: mailer)
        do {
            let value = try await body(harness)
            await harness.close()
            return value
        } catch {
            await harness.close()
            throw error
        }
    }

    /// Runs `test` against the application (in-process router by default, `.live` for a real socket).
    func test<Value>(
        _ framework: TestingSetup = .router, _ test: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let app = buildApplication(
            settings: settings,
            dependencies: ServerDependencies(metrics: metrics, health: health, logger: logs.logger(), services: services))
        return try await app.test(framework, test)
    }

    // MARK: Requests

    static let createAccountURI = "/xrpc/com.atproto.server.createAccount"
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    static func body(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }

    static func object(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
    }

    /// A valid createAccount input for `name` (handle `<name>.pds.example.com`, email `<name>@example.com`).
    static func input(_ name: String, _ extra: [String: Any] = [:]) -> [String: Any] {
        var object: [String: Any] = [
            "handle": "\(name).pds.example.com", "email": "\(name)@example.com", "password": "correct horse",
        ]
        for (key, value) in extra { object[key] = value }
        return object
    }

    /// POSTs createAccount with `input`.
    static func createAccount(_ client: any TestClientProtocol, _ input: [String: Any]) async throws -> TestResponse {
        try await client.execute(uri: createAccountURI, method: .post, headers: jsonHeaders, body: body(input))
    }

    // MARK: Database state

    func accountCount() async throws -> Int {
        try await database.read(kind: "test") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account") ?? 0 }
    }

    func repoCount() async throws -> Int {
        try await database.read(kind: "test") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM repo_root") ?? 0 }
    }

    /// The kinds of the firehose events of `did`, in sequence order.
    func eventKinds(did: String) async throws -> [String] {
        try await database.read(kind: "test") { db in
            try String.fetchAll(db, sql: "SELECT kind FROM firehose_event WHERE did = ? ORDER BY seq", arguments: [did])
        }
    }

    func eventCount() async throws -> Int {
        try await database.read(kind: "test") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM firehose_event") ?? 0 }
    }

    /// The stored repo signing key of `did`.
    func signingKey(did: String) async throws -> K256PrivateKey? {
        let raw = try await database.read(kind: "test") { db in
            try Data.fetchOne(db, sql: "SELECT signing_key FROM account WHERE did = ?", arguments: [did])
        }
        return try raw.map { try K256PrivateKey(rawRepresentation: Array($0)) }
    }

    func sample(_ name: String, labels: [String: String] = [:]) -> Double? {
        MetricsText.value(in: metrics.render(), name: name, labels: labels)
    }
}
