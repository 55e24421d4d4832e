import ATProto
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Logging
import Storage
import Telemetry

@testable import Endpoints

/// An application with real services: a fresh temporary database (migrated), the account and repository stores,
/// auth, and its own metrics and log capture. Helpers create accounts directly through `AccountStore.create`
/// and issue tokens without logging in.
///
/// ```swift
/// let server = try await TestServerWithServices()
/// defer { server.close() }
/// let alice = try await server.createAccount(handle: "alice.pds.example.com", password: "hunter2")
/// let tokens = try await server.issueSession(did: alice.did)
/// try await server.test { client in
///     try await client.execute(uri: "/xrpc/com.atproto.server.getSession", method: .get,
///                              headers: TestServerWithServices.bearer(tokens.accessJwt)) { ... }
/// }
/// ```
final class TestServerWithServices: Sendable {
    static let jwtSecret = Array("test-jwt-secret-0123456789".utf8)
    static let adminPassword = "admin-secret"
    /// A cheap scrypt cost for tests; the reference cost is tested on its own.
    static let testScryptCost = PasswordHasher.Cost(n: 1024, r: 8, p: 1)

    let directory: URL
    let settings: ServerSettings
    let metrics: TelemetryMetrics
    let health: HealthRegistry
    let logs: LogCapture
    let database: Storage.Database
    let services: PDSServices

    /// - Parameters:
    ///   - settings: the server settings (default: `pds.example.com`, handles under `.pds.example.com`).
    ///   - rateLimits: rate-limit settings (default: off).
    ///   - scryptCost: the password hashing cost.
    ///   - didWebURL: where did:web documents are fetched from (default: https://<host>/.well-known/did.json).
    init(
        settings: ServerSettings = TestServerWithServices.defaultSettings(),
        rateLimits: RateLimitSettings = .disabled,
        scryptCost: PasswordHasher.Cost = TestServerWithServices.testScryptCost,
        didWebURL: (@Sendable (String) -> String)? = nil,
        mailer: (any Mailer)? = nil
    ) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "endpoints-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.settings = settings
        let metrics = TelemetryMetrics()
        self.metrics = metrics
        health = HealthRegistry(metricsFactory: metrics.factory)
        logs = LogCapture()
        database = try await Storage.Database.open(
            path: directory.appendingPathComponent("pds.sqlite").path, metricsFactory: metrics.factory,
            logger: logs.logger())
        try await database.migrate()
        services = PDSServices(
            database: database,
            secrets: ServerSecrets(
                jwtSecret: Self.jwtSecret, adminPassword: Self.adminPassword, plcRotationKey: K256PrivateKey()),
            serviceDID: settings.serviceDID,
            metricsFactory: metrics.factory,
            rateLimits: rateLimits,
            passwords: PasswordHasher(cost: scryptCost),
            logger: logs.logger(),
            didResolver: didWebURL.map { url in
                DIDResolver(
                    settings: DIDResolver.Settings(didWebURL: url), plc: HTTPPLCClient(metricsFactory: metrics.factory),
                    metricsFactory: metrics.factory)
            },
            mailer: mailer)
    }

    static func defaultSettings() -> ServerSettings {
        ServerSettings(
            hostname: "pds.example.com", port: 0, version: "1.2.3", revision: "abc", maxRequestBodyBytes: 65_536,
            healthCacheTTL: .zero)
    }

    /// Closes the database and removes the temporary folder.
    func close() {
        try? database.close()
        try? FileManager.default.removeItem(at: directory)
    }

    var dependencies: ServerDependencies {
        ServerDependencies(metrics: metrics, health: health, logger: logs.logger(), services: services)
    }

    func app(extraRoutes: (XRPCRouter) -> Void = { _ in }) -> some ApplicationProtocol {
        buildApplication(settings: settings, dependencies: dependencies, extraRoutes: extraRoutes)
    }

    /// Runs `test` against the application (in-process router by default).
    func test<Value>(
        _ framework: TestingSetup = .router,
        extraRoutes: (XRPCRouter) -> Void = { _ in },
        _ test: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        try await app(extraRoutes: extraRoutes).test(framework, test)
    }

    // MARK: Accounts and tokens

    /// Creates an account directly in storage (no PLC): a random did:plc, a fresh signing key, the password
    /// hashed like createAccount does. Nil `password` makes an account that cannot log in with a password.
    @discardableResult
    func createAccount(
        handle: String, password: String? = "password", email: String? = nil, did: String? = nil
    ) async throws -> AccountRecord {
        let hash: String? = if let password { try await services.passwords.hash(password) } else { nil }
        let created = try await services.accounts.create(
            AccountStore.NewAccount(
                did: did ?? Self.randomDID(), handle: handle, email: email ?? "\(handle.prefix(while: { $0 != "." }))@example.com",
                passwordScrypt: hash, signingKey: K256PrivateKey()))
        return created.account
    }

    /// Access and refresh tokens for `did`, the refresh token stored, as createSession would issue them.
    func issueSession(
        did: String, scope: AuthScope = .access, appPasswordName: String? = nil, now: Date = Date()
    ) async throws -> PDSServices.SessionTokens {
        try await services.issueSession(did: did, scope: scope, appPasswordName: appPasswordName, now: now)
    }

    /// Sets or clears an account's takedown.
    func setTakedown(did: String, _ takendown: Bool) async throws {
        try await database.write(kind: "test") { db in
            try db.execute(
                sql: "UPDATE account SET takedown_ref = ? WHERE did = ?", arguments: [takendown ? "test-takedown" : nil, did])
        }
    }

    /// Sets or clears an account's deactivation.
    func setDeactivated(did: String, _ deactivated: Bool) async throws {
        try await database.write(kind: "test") { db in
            try db.execute(
                sql: "UPDATE account SET deactivated_at = ? WHERE did = ?",
                arguments: [deactivated ? "2026-01-01T00:00:00.000Z" : nil, did])
        }
    }

    /// A syntactically valid random did:plc.
    static func randomDID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        return "did:plc:" + String((0..<24).map { _ in alphabet.randomElement()! })
    }

    // MARK: Requests

    static func bearer(_ token: String) -> HTTPFields {
        [.authorization: "Bearer \(token)"]
    }

    static func adminAuth(password: String = adminPassword) -> HTTPFields {
        [.authorization: "Basic " + Data("admin:\(password)".utf8).base64EncodedString()]
    }

    static let jsonContentType: HTTPFields = [.contentType: "application/json"]

    /// `headers` plus `Content-Type: application/json`.
    static func json(_ headers: HTTPFields = [:]) -> HTTPFields {
        var fields = headers
        fields[.contentType] = "application/json"
        return fields
    }

    /// A JSON request body.
    static func body(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }

    /// The JSON object of a response body.
    static func object(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
    }

    /// The value of a counter or gauge series.
    func sample(_ name: String, labels: [String: String] = [:]) -> Double? {
        MetricsText.value(in: metrics.render(), name: name, labels: labels)
    }
}
