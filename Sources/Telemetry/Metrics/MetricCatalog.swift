/// Every metric SwiftPDS exports, declared exactly once with its HELP text.
///
/// Adding a metric is one line in ``all``. ``TelemetryMetrics/factory`` looks names up here, so a
/// swift-metrics `Counter(label: "pds_...")` anywhere in the code base gets the right HELP text,
/// type and buckets.
public enum MetricCatalog {
    /// Request and query durations in seconds: 0.5 ms to 10 s.
    public static let durationBuckets: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]
    /// Payload sizes in bytes: 100 B to 16 MB.
    public static let sizeBuckets: [Double] = [
        100, 1_000, 10_000, 100_000, 1_000_000, 2_000_000, 5_000_000, 16_000_000,
    ]
    /// Backup durations in seconds: 0.1 s to 1 h.
    public static let backupDurationBuckets: [Double] = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600]
    /// Queue depths and lags counted in events.
    public static let countBuckets: [Double] = [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 5_000, 10_000]

    public static let all: [MetricDescriptor] = [
        // MARK: HTTP
        .counter("pds_http_requests_total", "HTTP requests served, by method, route (XRPC NSID or route template) and status code.", labels: ["method", "route", "code"]),
        .histogram("pds_http_request_duration_seconds", "Time from request head to response end, in seconds.", labels: ["method", "route"], buckets: durationBuckets),
        .gauge("pds_http_requests_in_flight", "HTTP requests currently being served."),
        .histogram("pds_http_response_size_bytes", "Size of HTTP response bodies, in bytes.", buckets: sizeBuckets),

        // MARK: Build and process
        .gauge("pds_build_info", "Always 1; labels carry the version and source revision of the running server.", labels: ["version", "revision"]),
        .counter("process_cpu_seconds_total", "Total user and system CPU time spent, in seconds."),
        .gauge("process_resident_memory_bytes", "Resident memory size, in bytes."),
        .gauge("process_virtual_memory_bytes", "Virtual memory size, in bytes."),
        .gauge("process_open_fds", "Number of open file descriptors."),
        .gauge("process_max_fds", "Maximum number of open file descriptors (soft RLIMIT_NOFILE)."),
        .gauge("process_start_time_seconds", "Start time of the process since the unix epoch, in seconds."),
        .gauge("process_threads", "Number of operating system threads in the process."),

        // MARK: Database and disk
        .histogram("pds_db_query_duration_seconds", "Duration of database reads and write transactions, in seconds.", labels: ["kind"], buckets: durationBuckets),
        .counter("pds_db_errors_total", "Database errors, by kind of database work (the kind label of pds_db_query_duration_seconds).", labels: ["kind"]),
        .gauge("pds_sqlite_db_bytes", "Size of the SQLite database file, in bytes."),
        .gauge("pds_sqlite_wal_bytes", "Size of the SQLite write-ahead log file, in bytes."),
        .gauge("pds_disk_free_bytes", "Free bytes available to the server on the data directory's file system."),
        .gauge("pds_work_queue_jobs", "Jobs queued or running on the server's own threads, sampled at scrape, by queue (db_read, repo_commit, repo_prepare, file_work, journal, firehose_inbox).", labels: ["queue"]),
        .histogram("pds_sqlite_checkpoint_duration_seconds", "Duration of SQLite WAL checkpoints, in seconds, by trigger (background: the WAL grew past its threshold, run beside the writer; catchup: the short one commits run after it until the WAL starts over; periodic: the checkpoint service).", labels: ["trigger"], buckets: durationBuckets),

        // MARK: Logging, health, systemd
        .counter("pds_log_messages_total", "Log messages emitted, by level.", labels: ["level"]),
        .counter("pds_log_lines_dropped_total", "Log lines dropped because the stderr writer's buffer was full or journald fell 10,000 entries behind."),
        .gauge("pds_healthcheck", "Result of the last run of a health check: 1 passed, 0 failed.", labels: ["type", "name"]),
        .histogram("pds_healthcheck_duration_seconds", "Duration of health checks, in seconds.", labels: ["name"], buckets: durationBuckets),
        .counter("pds_healthchecks_total", "Health check runs, by type, name and status (success or error).", labels: ["type", "name", "status"]),
        .counter("pds_watchdog_pings_total", "systemd watchdog pings (WATCHDOG=1) sent."),
        .counter("pds_watchdog_pings_skipped_total", "systemd watchdog pings skipped because a liveness check failed, by check.", labels: ["check"]),

        // MARK: Sequencer and firehose
        .counter("pds_sequencer_events_total", "Events written to the firehose log, by type (commit, sync, identity, account).", labels: ["type"]),
        .gauge("pds_sequencer_head_seq", "Highest sequence number written to the firehose log."),
        .histogram("pds_sequencer_write_duration_seconds", "Duration of firehose event writes, in seconds.", buckets: durationBuckets),
        .gauge("pds_firehose_subscribers", "Connected subscribeRepos clients."),
        .counter("pds_firehose_connections_total", "subscribeRepos connection attempts, by result (accepted, rejected).", labels: ["result"]),
        .counter("pds_firehose_disconnects_total", "subscribeRepos disconnects, by reason (client_closed, slow_consumer, future_cursor, invalid_request, stalled, error, shutdown).", labels: ["reason"]),
        .counter("pds_firehose_frames_sent_total", "Firehose frames sent to subscribers, by type.", labels: ["type"]),
        .counter("pds_firehose_bytes_sent_total", "Firehose bytes sent to subscribers."),
        .histogram("pds_firehose_frame_size_bytes", "Size of encoded firehose frames, in bytes.", buckets: sizeBuckets),
        .histogram("pds_firehose_subscriber_queue_events", "Live events queued in a subscriber's outbox when its connection takes the next batch to send, in events.", buckets: countBuckets),
        .counter("pds_firehose_backfill_requests_total", "subscribeRepos cursor requests, by result (ok, future_cursor, outdated_cursor).", labels: ["result"]),
        .histogram("pds_firehose_subscriber_lag_events", "Live events queued for a subscriber after each sequencer delivery, in events.", buckets: countBuckets),
        .gauge("pds_firehose_log_oldest_age_seconds", "Age of the oldest event kept in the firehose log, in seconds."),
        .counter("pds_firehose_outbox_dropped_total", "Firehose subscribers dropped with ConsumerTooSlow because their outbox would pass a bound, by reason (max_events, max_bytes).", labels: ["reason"]),
        .counter("pds_crawl_requests_total", "requestCrawl notifications sent to configured relays, by host and result.", labels: ["host", "result"]),

        // MARK: Repo and blobs
        .counter("pds_repo_commits_total", "Repository commits written."),
        .counter("pds_repo_writes_total", "Record writes, by action (create, update, delete).", labels: ["action"]),
        .histogram("pds_repo_commit_duration_seconds", "Duration of repository commits including the firehose event, in seconds.", buckets: durationBuckets),
        .histogram("pds_repo_commit_size_bytes", "Size of the blocks written by one commit, in bytes.", buckets: sizeBuckets),
        .counter("pds_repo_blocks_written_total", "Repository blocks written."),
        .counter("pds_repo_commit_prepare_total", "Commits by how they were built: used (built before the writer on the remembered head and stored as built), stale (that head had moved: built again in the writer), unprepared (built in the writer only).", labels: ["result"]),
        .histogram("pds_repo_commit_batch_size", "Commits applied together in one write transaction (group commit): those that waited for the writer.", buckets: countBuckets),
        .counter("pds_blob_uploads_total", "Blob uploads, by result (ok, too_large, bad_mime, error).", labels: ["result"]),
        .counter("pds_blob_upload_bytes_total", "Blob bytes uploaded."),
        .histogram("pds_blob_upload_size_bytes", "Size of uploaded blobs, in bytes.", buckets: sizeBuckets),
        .counter("pds_blob_gc_deleted_total", "Unreferenced blobs deleted by garbage collection."),
        .gauge("pds_blobstore_bytes", "Bytes of blob files in the blob store."),
        .counter("pds_sync_bytes_sent_total", "Body bytes sent by the com.atproto.sync CAR and blob methods, by route (XRPC NSID).", labels: ["route"]),
        .counter("pds_sync_repo_exports_total", "getRepo CAR exports, by result (ok, error: the export file could not be written, or the download broke off).", labels: ["result"]),

        // MARK: Identity, auth, accounts
        .histogram("pds_identity_resolve_duration_seconds", "Duration of DID and handle resolution, by method and result.", labels: ["method", "result"], buckets: durationBuckets),
        .counter("pds_plc_requests_total", "Requests to the PLC directory, by op (read, submit) and result.", labels: ["op", "result"]),
        .histogram("pds_plc_request_duration_seconds", "Duration of PLC directory requests (each attempt), by op (read, submit), in seconds.", labels: ["op"], buckets: durationBuckets),
        .counter("pds_proxy_requests_total", "XRPC calls forwarded to another service, by service (appview, report, a well-known atproto-proxy service id, other, unresolved) and result (ok, client_error, upstream_error, unreachable, timeout, refused).", labels: ["service", "result"]),
        .histogram("pds_proxy_request_duration_seconds", "Duration of forwarded XRPC calls until the answer's head, by service, in seconds.", labels: ["service"], buckets: durationBuckets),
        .counter("pds_auth_attempts_total", "Authentication attempts, by method and result.", labels: ["method", "result"]),
        .counter("pds_rate_limit_rejections_total", "Requests rejected by rate limits, by limiter and route (XRPC NSID).", labels: ["limiter", "route"]),
        .gauge("pds_accounts", "Accounts hosted, by status (active, deactivated, takendown); counted at start and after every account change.", labels: ["status"]),
        .counter("pds_account_events_total", "Account lifecycle events, by type (created, create_failed, deleted, takendown, untakendown, deactivated, activated, handle_updated, email_updated, password_updated, plc_operation_submitted, repo_imported).", labels: ["type"]),
        .counter("pds_emails_sent_total", "Account emails (codes) handed to the mailer, by purpose (confirm_email, update_email, reset_password, delete_account, plc_operation) and result (ok, error).", labels: ["purpose", "result"]),
        .gauge("pds_last_backup_timestamp_seconds", "Time of the last successful backup since the unix epoch, in seconds."),
        .histogram("pds_backup_duration_seconds", "Duration of scheduled backups (database snapshot, blob copies, checksums), in seconds.", buckets: backupDurationBuckets),
        .counter("pds_backups_total", "Scheduled backups, by result (ok, error).", labels: ["result"]),
        .gauge("pds_last_backup_bytes", "Size of the files of the last successful backup, in bytes."),
    ]

    private static let byName: [String: MetricDescriptor] = Dictionary(
        all.map { ($0.name, $0) },
        uniquingKeysWith: { first, _ in first }
    )

    public static func descriptor(named name: String) -> MetricDescriptor? {
        byName[name]
    }
}
