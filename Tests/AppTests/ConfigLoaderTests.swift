import Foundation
import Endpoints
import Logging
import Testing

@testable import App

@Suite struct ConfigLoaderTests {
    func load(
        file: String? = nil, environment: [String: String] = [:], flags: [ConfigKey: String] = [:],
        in dir: TempDirectory
    ) throws -> LoadedConfig {
        var path: String?
        if let file {
            let url = dir.url.appendingPathComponent("pds.toml")
            try Data(file.utf8).write(to: url)
            path = url.path
        }
        var flags = flags
        if flags[.dataDirectory] == nil, environment["PDS_DATA_DIRECTORY"] == nil {
            flags[.dataDirectory] = dir.url.appendingPathComponent("data").path
        }
        return try ConfigLoader(configFile: path, environment: environment, flags: flags).load()
    }

    @Test func defaultsWithoutFileOrEnvironment() throws {
        let loaded = try ConfigLoader(configFile: nil, environment: [:], flags: [:]).load()
        let config = loaded.config
        #expect(config.hostname == "localhost")
        #expect(config.port == 2583)
        #expect(config.bindAddress == "127.0.0.1")
        #expect(config.dataDirectory == "./data")
        #expect(config.publicURL == "http://localhost:2583")
        #expect(config.effectiveServiceDID == "did:web:localhost")
        #expect(config.effectiveServiceHandleDomains == [".test"])
        #expect(config.inviteRequired)
        #expect(config.logLevel == .info)
        #expect(config.diskFreeFloorBytes == 1 << 30)
        #expect(config.firehoseRetentionHours == 72)
        #expect(config.firehoseOutboxEvents == 1_000)
    }

    @Test func precedenceDefaultsFileEnvironmentFlags() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let file = """
            [server]
            hostname = "file.example.com"
            port = 3000
            bind_address = "0.0.0.0"
            invite_required = false

            [log]
            level = "debug"
            """
        let environment = ["PDS_PORT": "4000", "PDS_BIND_ADDRESS": "::1", "PDS_HOSTNAME": ""]
        let flags: [ConfigKey: String] = [.port: "5000"]
        let loaded = try load(file: file, environment: environment, flags: flags, in: dir)
        #expect(loaded.config.hostname == "file.example.com")  // file (empty env counts as unset)
        #expect(loaded.config.port == 5000)  // flag beats env beats file
        #expect(loaded.config.bindAddress == "::1")  // env beats file
        #expect(loaded.config.inviteRequired == false)  // file beats default
        #expect(loaded.config.logLevel == .debug)
        #expect(loaded.config.blobUploadLimit == 104_857_600)  // default
        #expect(loaded.config.publicURL == "https://file.example.com")
        #expect(loaded.config.effectiveServiceHandleDomains == [".file.example.com"])
        #expect(loaded.sources[.port]?.origin == .flag("--port"))
        #expect(loaded.sources[.bindAddress]?.origin == .environment("PDS_BIND_ADDRESS"))
    }

    @Test func environmentListsBooleansAndAliases() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let loaded = try load(
            environment: [
                "PDS_CRAWLERS": "https://bsky.network, https://relay.example ,",
                "PDS_SERVICE_HANDLE_DOMAINS": ".a.example,.b.example",
                "PDS_INVITE_REQUIRED": "0",
                "PDS_LOG_LEVEL": "warn",
                "PDS_FIREHOSE_OUTBOX_EVENTS": "5_000",
                "PDS_SOMETHING_ELSE": "x",
            ], in: dir)
        #expect(loaded.config.firehoseOutboxEvents == 5_000)
        #expect(loaded.config.crawlers == ["https://bsky.network", "https://relay.example"])
        #expect(loaded.config.effectiveServiceHandleDomains == [".a.example", ".b.example"])
        #expect(loaded.config.inviteRequired == false)
        #expect(loaded.config.logLevel == .warning)
        #expect(loaded.sources.ignoredEnvironment == ["PDS_SOMETHING_ELSE"])
    }

    /// (file, environment, flags, expected start of the one-line message)
    static let badInputs: [(String?, [String: String], [ConfigKey: String], String)] = [
        ("[server]\nhostnme = \"x\"", [:], [:], "server.hostnme ("),
        ("[server]\nport = \"3000\"", [:], [:], "server.port ("),
        ("[server]\nport = 70000", [:], [:], "server.port ("),
        ("[nope]\n", [:], [:], "unknown table [nope]"),
        ("port = 1", [:], [:], "port ("),
        ("[server]\nport = ", [:], [:], "line 2: missing value"),
        (nil, ["PDS_PORT": "abc"], [:], "PDS_PORT: must be an integer"),
        (nil, ["PDS_PORT": "-1"], [:], "PDS_PORT: must be from 0 to 65535"),
        (nil, ["PDS_INVITE_REQUIRED": "maybe"], [:], "PDS_INVITE_REQUIRED: must be true or false"),
        (nil, ["PDS_HOSTNAME": "Bad_Host"], [:], "PDS_HOSTNAME: must be a lower-case DNS name"),
        (nil, ["PDS_BIND_ADDRESS": "example.com"], [:], "PDS_BIND_ADDRESS: must be an IPv4 or IPv6"),
        (nil, ["PDS_SERVICE_HANDLE_DOMAINS": "example.com"], [:], "PDS_SERVICE_HANDLE_DOMAINS: each domain"),
        (nil, ["PDS_CRAWLERS": "bsky.network"], [:], "PDS_CRAWLERS: each crawler"),
        (nil, ["PDS_DID_PLC_URL": "ftp://x"], [:], "PDS_DID_PLC_URL: must be an http(s) URL"),
        (nil, ["PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX": "abcd"], [:], "PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: must be 64 hex"),
        (nil, ["PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX": String(repeating: "f", count: 64)], [:], "PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: must be 64 hex digits of a valid"),
        (nil, ["PDS_JWT_SECRET": "short"], [:], "PDS_JWT_SECRET: must be at least 16"),
        (nil, ["PDS_CONTACT_EMAIL_ADDRESS": "nobody"], [:], "PDS_CONTACT_EMAIL_ADDRESS: must be an email"),
        (nil, ["PDS_BLOB_UPLOAD_LIMIT": "0"], [:], "PDS_BLOB_UPLOAD_LIMIT: must be from 1"),
        (nil, ["PDS_LOG_FORMAT": "xml"], [:], "PDS_LOG_FORMAT: must be one of auto"),
        (nil, ["PDS_FIREHOSE_OUTBOX_EVENTS": "0"], [:], "PDS_FIREHOSE_OUTBOX_EVENTS: must be from 10"),
        ("[firehose]\noutbox_events = \"many\"", [:], [:], "firehose.outbox_events ("),
        (nil, [:], [.port: "http"], "--port: must be an integer"),
        (nil, [:], [.logLevel: "loud"], "--log-level: must be one of"),
        (nil, [:], [.hostname: ""], "--hostname: must be a lower-case DNS name"),
        ("[secrets]\nadmin_password = \"\"", [:], [:], "secrets.admin_password ("),
        (nil, ["PDS_EMAIL_SENDMAIL_PATH": "/usr/sbin/sendmail"], [:], "PDS_EMAIL_SENDMAIL_PATH: is set, so PDS_EMAIL_FROM_ADDRESS must be set too"),
        (nil, ["PDS_EMAIL_SENDMAIL_PATH": "sendmail", "PDS_EMAIL_FROM_ADDRESS": "a@b.c"], [:], "PDS_EMAIL_SENDMAIL_PATH: must be an absolute path"),
        (nil, ["PDS_BSKY_APP_VIEW_URL": "api.example.com"], [:], "PDS_BSKY_APP_VIEW_URL: must be an http(s) URL or 'none'"),
        (nil, ["PDS_BSKY_APP_VIEW_URL": "https://appview.example.com"], [:], "PDS_BSKY_APP_VIEW_URL: is not the default (https://api.bsky.app), so PDS_BSKY_APP_VIEW_DID must be set"),
        (nil, ["PDS_BSKY_APP_VIEW_DID": "did:web:appview.example.com"], [:], "PDS_BSKY_APP_VIEW_DID: is set but PDS_BSKY_APP_VIEW_URL is not"),
        (nil, ["PDS_REPORT_SERVICE_URL": "https://mod.example.com", "PDS_REPORT_SERVICE_DID": "did:example:x"], [:], "PDS_REPORT_SERVICE_DID: must be a did:plc or did:web"),
    ]

    @Test(arguments: 0..<badInputs.count)
    func badValueGivesOneLineNamingTheKey(_ index: Int) throws {
        let (file, environment, flags, expected) = Self.badInputs[index]
        let dir = try TempDirectory()
        defer { dir.remove() }
        let error = #expect(throws: ConfigError.self) {
            _ = try load(file: file, environment: environment, flags: flags, in: dir)
        }
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
        #expect(error?.message.contains("\n") == false)
    }

    @Test func missingConfigFileIsAConfigError() {
        #expect(throws: ConfigError("--config /nonexistent/pds.toml: no such file")) {
            _ = try ConfigLoader(configFile: "/nonexistent/pds.toml", environment: [:], flags: [:]).load()
        }
        #expect(throws: ConfigError("--config /nonexistent/x.toml: no such file")) {
            _ = try ConfigLoader(configFile: nil, environment: ["PDS_CONFIG_FILE": "/nonexistent/x.toml"], flags: [:])
                .load()
        }
    }

    @Test func renderMasksSecretsAndNamesOrigins() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let secret = "0123456789abcdef0123456789abcdef"
        let loaded = try load(
            file: "[secrets]\njwt_secret = \"\(secret)\"\n",
            environment: ["PDS_ADMIN_PASSWORD": "hunter2-very-secret", "PDS_PORT": "4000"], in: dir)
        let text = loaded.renderEffective()
        #expect(!text.contains(secret))
        #expect(!text.contains("hunter2"))
        #expect(text.contains("jwt_secret = \"****\""))
        #expect(text.contains("admin_password = \"****\"  # environment PDS_ADMIN_PASSWORD"))
        #expect(text.contains("# plc_rotation_key_k256_private_key_hex is not set: generated"))
        #expect(text.contains("port = 4000  # environment PDS_PORT"))
        #expect(text.contains("hostname = \"localhost\"  # default"))
        // The rendering (without masked secrets) is itself valid TOML that loads back to the same config.
        let reparsed = try TOMLDocument(parsing: text)
        #expect(reparsed["server.port"]?.value == .integer(4000))
        #expect(reparsed["storage.data_directory"]?.value == .string(loaded.config.dataDirectory))
    }

    @Test func secretsAreGeneratedOnceWithMode0600AndReused() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var first = try load(in: dir)
        try first.prepareDataDirectory()
        let dataAttributes = try FileManager.default.attributesOfItem(atPath: first.config.dataDirectory)
        #expect((dataAttributes[.posixPermissions] as? Int) == 0o700)
        let password = try first.generateMissingSecrets()
        #expect(password != nil)
        #expect(first.config.jwtSecret?.count == 64)
        #expect(first.config.plcRotationKeyHex?.count == 64)
        let attributes = try FileManager.default.attributesOfItem(atPath: first.secretsFile.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        var second = try load(in: dir)
        #expect(second.config.jwtSecret == first.config.jwtSecret)
        #expect(second.config.adminPassword == first.config.adminPassword)
        #expect(second.config.plcRotationKeyHex == first.config.plcRotationKeyHex)
        #expect(try second.generateMissingSecrets() == nil)

        // The environment wins over the file, and is not written into it.
        let envSecret = String(repeating: "e", count: 64)
        let third = try load(environment: ["PDS_JWT_SECRET": envSecret], in: dir)
        #expect(third.config.jwtSecret == envSecret)
        let stored = try String(contentsOfFile: first.secretsFile.path, encoding: .utf8)
        #expect(!stored.contains(envSecret))
    }

    @Test func configuredSecretsAreNotCopiedIntoTheSecretsFile() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let envPassword = "from-the-environment"
        var loaded = try load(environment: ["PDS_ADMIN_PASSWORD": envPassword], in: dir)
        try loaded.prepareDataDirectory()
        #expect(try loaded.generateMissingSecrets() == nil)  // admin password came from env: nothing to print
        let stored = try String(contentsOfFile: loaded.secretsFile.path, encoding: .utf8)
        #expect(!stored.contains(envPassword))
        #expect(stored.contains("jwt_secret = "))
        #expect(!stored.contains("admin_password"))
    }

    @Test func secretsFileReadableByOthersIsRefused() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var loaded = try load(in: dir)
        try loaded.prepareDataDirectory()
        _ = try loaded.generateMissingSecrets()
        #expect(chmod(loaded.secretsFile.path, 0o644) == 0)
        let error = #expect(throws: ConfigError.self) { _ = try load(in: dir) }
        #expect(error?.message.contains("chmod 600") == true)
    }

    @Test func unknownKeyInSecretsFileIsRefused() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let data = dir.url.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let path = data.appendingPathComponent("secrets.toml").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data("[server]\nport = 1\n".utf8), attributes: [.posixPermissions: 0o600]))
        let error = #expect(throws: ConfigError.self) { _ = try load(in: dir) }
        #expect(error?.message.contains("server.port") == true)
    }

    @Test func proxyTargetsDefaultToBlueskysOnAPublicHostNameOnly() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let local = try load(in: dir).config
        #expect(local.effectiveAppView == nil && local.effectiveReportService == nil)
        let publicHost = try load(environment: ["PDS_HOSTNAME": "pds.example.com"], in: dir).config
        #expect(publicHost.effectiveAppView == ProxySettings.Service(url: "https://api.bsky.app", did: "did:web:api.bsky.app"))
        #expect(publicHost.effectiveReportService == ProxySettings.Service(url: "https://mod.bsky.app", did: "did:plc:ar7c4by46qjdydhdevvrndac"))
        let off = try load(environment: ["PDS_HOSTNAME": "pds.example.com", "PDS_BSKY_APP_VIEW_URL": "none", "PDS_REPORT_SERVICE_URL": "none"], in: dir).config
        #expect(off.effectiveAppView == nil && off.effectiveReportService == nil)
        let own = try load(
            file: "[proxy]\napp_view_url = \"http://127.0.0.1:3000/\"\napp_view_did = \"did:web:appview.internal\"", in: dir
        ).config
        #expect(own.effectiveAppView == ProxySettings.Service(url: "http://127.0.0.1:3000", did: "did:web:appview.internal"))
    }

    @Test func everyKeyHasAValueRendererAndUniqueNames() {
        var config = PDSConfig()
        config.jwtSecret = "x"
        config.adminPassword = "x"
        config.plcRotationKeyHex = "x"
        config.contactEmail = "a@b"
        config.privacyPolicyURL = "https://x"
        config.termsOfServiceURL = "https://x"
        config.rateLimitBypassKey = "x"
        config.backupDirectory = "/x"
        config.hostname = "pds.example.com"
        config.emailSendmailPath = "/usr/sbin/sendmail"
        config.emailFromAddress = "pds@example.com"
        for key in ConfigKey.all {
            #expect(config.value(for: key) != nil, "\(key.toml) has no value renderer")
        }
        #expect(Set(ConfigKey.all.map(\.toml)).count == ConfigKey.all.count)
        #expect(Set(ConfigKey.all.map(\.env)).count == ConfigKey.all.count)
    }
}
