import CoreMetrics
import Endpoints
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Storage
import Telemetry

/// `pds serve`: bootstraps logging and metrics, opens and migrates the database, registers health
/// checks, then runs the HTTP server, the systemd watchdog and the shutdown notice in one `ServiceGroup`
/// until SIGTERM/SIGINT.
struct PDSServer {
    let config: PDSConfig
    let environment: [String: String]

    /// Runs until shutdown; returns the process exit status.
    func run() async -> Int32 {
        // MARK: Telemetry (the only place that touches the global systems)
        let metrics = TelemetryMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        let format = LogFormat(rawValue: config.logFormat) ?? .auto
        LoggingSystem.bootstrap(
            LogSetup.makeHandlerFactory(format: format, level: config.logLevel, metricsFactory: metrics.factory))
        var logger = Logger(label: "pds")
        logger.logLevel = config.logLevel
        metrics.setBuildInfo(version: BuildInfo.version, revision: BuildInfo.revision)
        let notifier = SystemdNotifier(environment: environment)

        logger.info(
            "starting pds",
            metadata: [
                "version": "\(BuildInfo.version)",
                "revision": "\(BuildInfo.revision)",
                "hostname": "\(config.hostname)",
                "bind": "\(config.bindAddress):\(config.port)",
                "data_dir": "\(config.dataDirectory)",
                "executor": "\(PDSCommand.tasksOnEventLoops ? "event_loops" : "cooperative_pool")",
            ])

        // MARK: Database
        let databasePath = URL(fileURLWithPath: config.dataDirectory).appendingPathComponent("pds.sqlite").path
        var storageLogger = Logger(label: "pds.storage")
        storageLogger.logLevel = config.logLevel
        let database: Storage.Database
        do {
            notifier.status("opening database")
            database = try await Storage.Database.open(
                path: databasePath, metricsFactory: metrics.factory, logger: storageLogger)
            notifier.status("applying migrations")
            let outcome = try await database.migrate()
            logger.info(
                "database ready",
                metadata: [
                    "path": "\(databasePath)",
                    "migrations_applied": "\(outcome.applied.count)",
                    "migrations_total": "\(outcome.applied.count + outcome.alreadyApplied.count)",
                ])
        } catch {
            logger.critical("cannot start: \(error.message)")
            LogSetup.flush()
            FileHandle.standardError.write(Data("pds: cannot start: \(error.message)\n".utf8))
            return 1
        }

        let dataDirectory = config.dataDirectory
        let diskFree = Gauge(label: "pds_disk_free_bytes", factory: metrics.factory)
        metrics.addCollector {
            database.recordFileSizes()
            if let free = DiskSpace.availableBytes(path: dataDirectory) {
                diskFree.record(free)
            }
        }

        // MARK: HTTP server and health
        let health = HealthRegistry(metricsFactory: metrics.factory)
        let settings = serverSettings()
        let services: PDSServices
        do throws(ConfigError) {
            services = try makeServices(
                database: database, settings: settings, metricsFactory: metrics.factory, logger: logger)
        } catch {
            logger.critical("cannot start: \(error.message)")
            LogSetup.flush()
            FileHandle.standardError.write(Data("pds: cannot start: \(error.message)\n".utf8))
            return 1
        }
        await services.refreshAccountGauge()
        let bindAddress = config.bindAddress
        // The firehose: the sequencer fans committed events out to subscribeRepos, the trimmer keeps the retention.
        let firehoseSettings = FirehoseSettings(
            retention: .seconds(config.firehoseRetentionHours * 3600), outboxMaxEvents: config.firehoseOutboxEvents)
        var firehoseLogger = Logger(label: "pds.firehose")
        firehoseLogger.logLevel = config.logLevel
        let sequencer = Sequencer(
            database: database, settings: firehoseSettings, metricsFactory: metrics.factory, logger: firehoseLogger)
        let trimmer = FirehoseTrimmer(
            database: database, settings: firehoseSettings, metricsFactory: metrics.factory, logger: firehoseLogger)
        sequencer.registerHealthChecks(in: health)
        // How much work waits on the server's own threads, sampled at each scrape.
        let workQueues = ["db_read", "repo_commit", "repo_prepare", "file_work", "journal", "firehose_inbox"].map { queue in
            Gauge(label: "pds_work_queue_jobs", dimensions: [("queue", queue)], factory: metrics.factory)
        }
        let repos = services.repos
        metrics.addCollector {
            let jobs = [
                database.readJobs, repos.commitJobs, RepoStore.preparationJobs, BlockingFileWork.jobs, JournalSender.shared.jobs,
                sequencer.inboxCount,
            ]
            for (gauge, count) in zip(workQueues, jobs) { gauge.record(count) }
        }
        // Relays (PDS_CRAWLERS) are asked to crawl us at startup and after new events, at most every 20 minutes.
        var crawlLogger = Logger(label: "pds.crawl")
        crawlLogger.logLevel = config.logLevel
        let crawlNotifier = config.crawlers.isEmpty ? nil : CrawlNotifier(
            settings: CrawlNotifier.Settings(relays: config.crawlers),
            client: RelayCrawlClient(
                settings: RelayCrawlClient.Settings(hostname: config.hostname), metricsFactory: metrics.factory,
                logger: crawlLogger),
            head: { [sequencer] in sequencer.lastSeen }, logger: crawlLogger)
        let app = buildApplication(
            settings: settings,
            dependencies: ServerDependencies(metrics: metrics, health: health, logger: logger, services: services),
            firehose: sequencer,
            onServerRunning: { [logger] port in
                logger.info("serving", metadata: ["address": "http://\(bindAddress):\(port)", "port": "\(port)"])
                notifier.ready(status: "serving on http://\(bindAddress):\(port)")
            })
        ServerHealthChecks.register(
            in: health, database: database, eventLoopGroup: app.eventLoopGroup, dataDirectory: dataDirectory,
            diskFreeFloorBytes: config.diskFreeFloorBytes, environment: environment)

        let watchdog = WatchdogService(
            notifier: notifier, health: health, metricsFactory: metrics.factory, logger: logger)
        let blobGC = services.blobs.map { store in
            BlobGCService(
                collector: BlobGarbageCollector(
                    store: store, grace: .seconds(config.blobGCGraceHours * 3600), metricsFactory: metrics.factory,
                    logger: logger))
        }
        var maintenance: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: CheckpointService(database: database, logger: logger))
        ]
        if let backupDirectory = config.backupDirectory {
            maintenance.append(
                .init(
                    service: BackupService(
                        database: database, dataFolder: DataFolder(path: dataDirectory),
                        schedule: BackupSchedule(
                            directory: URL(fileURLWithPath: backupDirectory, isDirectory: true),
                            interval: .seconds(config.backupIntervalHours * 3600), keep: config.backupKeep),
                        metricsFactory: metrics.factory, logger: logger)))
        }
        if let crawlNotifier { maintenance.append(.init(service: crawlNotifier)) }
        let shutdownBegun = ShutdownFlag()
        let notice = ShutdownNoticeService(notifier: notifier, logger: logger, begun: shutdownBegun)
        // Graceful shutdown runs in reverse order: notice (STOPPING=1), then the HTTP drain, then the firehose
        // trimmer and sequencer, then the watchdog.
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(service: watchdog),
                .init(service: sequencer),
                .init(service: trimmer),
            ] + (blobGC.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? []) + maintenance + [
                .init(service: app),
                .init(service: notice),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(config.shutdownGraceSeconds)
        groupConfiguration.maximumCancellationDuration = .seconds(5)

        var status: Int32 = 0
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch {
            if shutdownBegun.isSet {
                logger.warning(
                    "shutdown did not finish within the grace period; stopped the remaining work",
                    metadata: ["grace_seconds": "\(config.shutdownGraceSeconds)", "error": "\(error)"])
            } else {
                logger.critical("server failed: \(error)")
                status = 1
            }
        }
        do {
            try database.close()
        } catch {
            logger.error("closing the database failed: \(error.message)")
        }
        logger.info("stopped")
        // Request lines are written by the log writer's thread (journald entries by the journal sender's): let
        // them finish before the process exits.
        LogSetup.flush()
        return status
    }

    func serverSettings() -> ServerSettings {
        var settings = ServerSettings(
            hostname: config.hostname,
            bindAddress: config.bindAddress,
            port: config.port,
            publicURL: config.publicURL,
            serviceDID: config.effectiveServiceDID,
            version: BuildInfo.version,
            revision: BuildInfo.revision,
            blobUploadLimit: config.blobUploadLimit,
            inviteRequired: config.inviteRequired,
            serviceHandleDomains: config.effectiveServiceHandleDomains,
            contactEmail: config.contactEmail,
            privacyPolicyURL: config.privacyPolicyURL,
            termsOfServiceURL: config.termsOfServiceURL,
            shutdownGracePeriod: .seconds(config.shutdownGraceSeconds),
            acceptingRepoImports: config.acceptingRepoImports,
            maxRepoImportBytes: config.maxRepoImportSize,
            proxy: ProxySettings(appView: config.effectiveAppView, reportService: config.effectiveReportService))
        settings.handlersOnConnectionLoop = PDSCommand.tasksOnEventLoops
        return settings
    }
}
