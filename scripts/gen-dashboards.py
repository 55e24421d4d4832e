#!/usr/bin/env python3
"""Writes the Grafana dashboards in dashboards/*.json (SwiftPDS).

The JSON files are committed; edit this script and re-run it (`python3 scripts/gen-dashboards.py`)
rather than editing the JSON by hand, so the four dashboards keep one layout and one set of
conventions: a `datasource` template variable (type prometheus) used by every panel and target,
an `instance` variable, `$__rate_interval` in every rate, a unit on every panel, no fixed UIDs of
data sources. AppTests' OpsKitTests check the result (JSON shape, PromQL parses, every metric of
the catalog drawn, no unknown metric, and the committed JSON is what this script writes).
"""
import json
import os
import sys

DS = {"type": "prometheus", "uid": "${datasource}"}
I = 'instance=~"$instance"'
RI = "$__rate_interval"
FIVE_XX = 'code=~"5.."'
FOUR_OR_FIVE_XX = 'code=~"4..|5.."'


def rate(metric, sel="", by=None, fn="rate"):
    inner = f"{fn}({metric}{{{I}{',' + sel if sel else ''}}}[{RI}])"
    return f"sum by ({by}) ({inner})" if by else f"sum({inner})"


def quantile(q, metric, by=None, sel=""):
    labels = f"{by}, le" if by else "le"
    return f"histogram_quantile({q}, sum by ({labels}) (rate({metric}_bucket{{{I}{',' + sel if sel else ''}}}[{RI}])))"


def gauge(metric, sel="", by=None, agg="sum"):
    inner = f"{metric}{{{I}{',' + sel if sel else ''}}}"
    return f"{agg} by ({by}) ({inner})" if by else f"{agg}({inner})"


class Dashboard:
    def __init__(self, uid, title, description):
        self.uid, self.title, self.description = uid, title, description
        self.panels = []
        self.next_id = 1
        self.x = 0
        self.y = 0
        self.row_height = 0

    def row(self, title):
        if self.x:
            self.y += self.row_height
            self.x = 0
        self.panels.append({
            "type": "row", "title": title, "id": self._id(), "collapsed": False,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": [],
        })
        self.y += 1
        self.row_height = 0

    def _id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def _place(self, w, h):
        if self.x + w > 24:
            self.y += self.row_height
            self.x = 0
            self.row_height = 0
        pos = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.row_height = max(self.row_height, h)
        return pos

    def panel(self, title, description, unit, targets, kind="timeseries", w=12, h=8, stack=False):
        refs = "ABCDEFGHIJ"
        panel = {
            "type": kind,
            "title": title,
            "description": description,
            "id": self._id(),
            "datasource": DS,
            "gridPos": self._place(w, h),
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "targets": [
                {"datasource": DS, "refId": refs[i], "expr": expr, "legendFormat": legend,
                 **({"instant": True, "format": "table"} if kind == "table" else {})}
                for i, (expr, legend) in enumerate(targets)
            ],
        }
        if kind == "timeseries":
            panel["fieldConfig"]["defaults"]["custom"] = {
                "drawStyle": "line", "lineWidth": 1, "fillOpacity": 10 if stack else 0, "showPoints": "never",
                "stacking": {"mode": "normal" if stack else "none", "group": "A"},
            }
            panel["options"] = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                                "tooltip": {"mode": "multi", "sort": "desc"}}
        elif kind == "stat":
            panel["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                                "colorMode": "value", "graphMode": "area", "textMode": "auto"}
        elif kind == "table":
            panel["options"] = {"showHeader": True}
        self.panels.append(panel)

    def json(self):
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["swiftpds", "atproto"],
            "editable": True,
            "graphTooltip": 1,
            "schemaVersion": 39,
            "version": 1,
            "refresh": "30s",
            "time": {"from": "now-6h", "to": "now"},
            "timezone": "utc",
            "annotations": {"list": [{
                "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
                "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
            }]},
            "links": [{"type": "dashboards", "tags": ["swiftpds"], "title": "SwiftPDS", "asDropdown": True}],
            "templating": {"list": [
                {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
                 "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": []},
                {"name": "instance", "label": "Instance", "type": "query", "datasource": DS,
                 "query": {"query": "label_values(pds_build_info, instance)", "refId": "instance"},
                 "definition": "label_values(pds_build_info, instance)",
                 "includeAll": True, "multi": True, "allValue": ".*", "current": {}, "hide": 0, "refresh": 2,
                 "sort": 1, "options": []},
            ]},
            "panels": self.panels,
        }


def overview():
    d = Dashboard("swiftpds-overview", "SwiftPDS / Overview",
                  "Traffic, errors, latency and saturation of SwiftPDS (the golden signals), health, auth and external calls.")
    d.row("Traffic")
    d.panel("Requests by status class", "HTTP requests per second, by status code.", "reqps",
            [(rate("pds_http_requests_total", by="code"), "{{code}}")], stack=True)
    d.panel("Requests by route (top 10)", "The ten busiest routes (XRPC NSID or route template).", "reqps",
            [(f'topk(10, {rate("pds_http_requests_total", by="route")})', "{{route}}")])
    d.panel("Response bytes", "Bytes of response bodies sent per second, and the p50/p99 response size.", "bytes",
            [(f'{rate("pds_http_response_size_bytes_sum")}', "bytes/s"),
             (quantile(0.5, "pds_http_response_size_bytes"), "p50 size"),
             (quantile(0.99, "pds_http_response_size_bytes"), "p99 size")])
    d.panel("Accounts by status", "Hosted accounts, by status.", "short",
            [(gauge("pds_accounts", by="status"), "{{status}}")], stack=True)
    d.row("Errors")
    d.panel("Error ratio (5xx)", "Share of requests answered with a 5xx status (alert PDSHighErrorRatio at 5%).", "percentunit",
            [(f'{rate("pds_http_requests_total", sel=FIVE_XX)} / {rate("pds_http_requests_total")}', "5xx ratio")])
    d.panel("Errors by route", "4xx and 5xx answers per second, by route and status code.", "reqps",
            [(f'topk(10, {rate("pds_http_requests_total", sel=FOUR_OR_FIVE_XX, by="route, code")})', "{{route}} {{code}}")])
    d.row("Latency")
    d.panel("Latency p50/p99", "Request duration percentiles across all routes except subscribeRepos (alert PDSHighLatency: p99 over 2 s).", "s",
            [(quantile(0.5, "pds_http_request_duration_seconds", sel='route!="com.atproto.sync.subscribeRepos"'), "p50"),
             (quantile(0.99, "pds_http_request_duration_seconds", sel='route!="com.atproto.sync.subscribeRepos"'), "p99")])
    d.panel("Slowest routes (p99)", "The ten routes with the highest p99 duration.", "s",
            [(f'topk(10, {quantile(0.99, "pds_http_request_duration_seconds", by="route")})', "{{route}}")])
    d.row("Saturation")
    d.panel("Requests in flight", "HTTP requests being served right now.", "short",
            [(gauge("pds_http_requests_in_flight", by="instance"), "{{instance}}")])
    d.panel("CPU", "CPU time used per second (1 = one full core).", "percentunit",
            [(f'rate(process_cpu_seconds_total{{{I}}}[{RI}])', "{{instance}}")])
    d.panel("Memory", "Resident and virtual memory of the process.", "bytes",
            [(f"process_resident_memory_bytes{{{I}}}", "resident {{instance}}"),
             (f"process_virtual_memory_bytes{{{I}}}", "virtual {{instance}}")])
    d.panel("File descriptors and threads", "Open file descriptors against the limit, and OS threads.", "short",
            [(f"process_open_fds{{{I}}}", "open fds {{instance}}"),
             (f"process_max_fds{{{I}}}", "max fds {{instance}}"),
             (f"process_threads{{{I}}}", "threads {{instance}}")])
    d.row("Health")
    d.panel("Health checks", "Last result of each liveness and readiness check (1 passed, 0 failed).", "bool",
            [(f'min by (type, name) (pds_healthcheck{{{I}}})', "{{type}} {{name}}")])
    d.panel("Health check runs", "Health check runs per second, by type, check and status, and the p99 duration of each check.", "short",
            [(rate("pds_healthchecks_total", by="type, name, status"), "{{type}} {{name}} {{status}}"),
             (quantile(0.99, "pds_healthcheck_duration_seconds", by="name"), "p99 seconds {{name}}")])
    d.panel("systemd watchdog", "Watchdog pings sent and skipped (a skipped ping means a liveness check failed) per minute.", "short",
            [(f'60 * {rate("pds_watchdog_pings_total")}', "pings/min"),
             (f'60 * {rate("pds_watchdog_pings_skipped_total", by="check")}', "skipped/min {{check}}")])
    d.panel("Log messages by level", "Log messages emitted per second, by level.", "short",
            [(rate("pds_log_messages_total", by="level"), "{{level}}")], stack=True)
    d.panel("Log lines dropped", "Log lines dropped per minute because the log writer's buffer was full (stderr not drained).", "short",
            [(f'60 * {rate("pds_log_lines_dropped_total")}', "dropped/min")])
    d.panel("Uptime and restarts", "Time since the process started; restarts in the last hour (alert PDSRestarting above 2).", "s",
            [(f"time() - process_start_time_seconds{{{I}}}", "uptime {{instance}}"),
             (f"changes(process_start_time_seconds{{{I}}}[1h])", "restarts in 1h {{instance}}")])
    d.panel("Version", "Running version and source revision of each instance.", "none",
            [(f"pds_build_info{{{I}}}", "{{instance}} {{version}} {{revision}}")], kind="table")
    d.row("Auth and abuse")
    d.panel("Auth attempts by result", "Authentication attempts per second, by method and result (alert PDSAuthFailureSpike on failed|invalid).", "reqps",
            [(rate("pds_auth_attempts_total", by="method, result"), "{{method}} {{result}}")])
    d.panel("Rate-limit rejections by limiter and route", "Requests rejected with 429 per second (alert PDSRateLimitSpike).", "reqps",
            [(rate("pds_rate_limit_rejections_total", by="limiter, route"), "{{limiter}} {{route}}")])
    d.panel("Account events", "Account lifecycle events per hour, by type.", "short",
            [(f'3600 * {rate("pds_account_events_total", by="type")}', "{{type}}")])
    d.panel("Account emails", "Emails with codes handed to the mailer per hour, by purpose and result (error: the sendmail program failed).", "short",
            [(f'3600 * {rate("pds_emails_sent_total", by="purpose, result")}', "{{purpose}} {{result}}")])
    d.row("External calls")
    d.panel("PLC directory requests", "Requests to the PLC directory per second, by operation and result (alert PDSPLCErrors).", "reqps",
            [(rate("pds_plc_requests_total", by="op, result"), "{{op}} {{result}}")])
    d.panel("PLC directory latency p99", "p99 duration of PLC directory requests, by operation.", "s",
            [(quantile(0.99, "pds_plc_request_duration_seconds", by="op"), "{{op}}")])
    d.panel("Forwarded XRPC calls", "Calls forwarded to the AppView and other services per second, by service and result (unreachable and upstream_error: the service is failing).", "reqps",
            [(rate("pds_proxy_requests_total", by="service, result"), "{{service}} {{result}}")])
    d.panel("Forwarded call latency p99", "p99 time until the forwarded call's answer head, by service.", "s",
            [(quantile(0.99, "pds_proxy_request_duration_seconds", by="service"), "{{service}}")])
    d.panel("Identity resolution", "DID and handle resolutions per second by method and result, and their p99 duration.", "short",
            [(rate("pds_identity_resolve_duration_seconds_count", by="method, result"), "{{method}} {{result}} /s"),
             (quantile(0.99, "pds_identity_resolve_duration_seconds", by="method"), "p99 seconds {{method}}")])
    return d


def repo():
    d = Dashboard("swiftpds-repo", "SwiftPDS / Repo writes and blobs",
                  "Repository commits and record writes, blocks, blob uploads, blob store and garbage collection.")
    d.row("Repository writes")
    d.panel("Commits", "Repository commits per second.", "ops",
            [(rate("pds_repo_commits_total"), "commits/s")])
    d.panel("Record writes by action", "Record creates, updates and deletes per second.", "ops",
            [(rate("pds_repo_writes_total", by="action"), "{{action}}")], stack=True)
    d.panel("Commit duration", "p50 and p99 duration of a commit, including its firehose event.", "s",
            [(quantile(0.5, "pds_repo_commit_duration_seconds"), "p50"),
             (quantile(0.99, "pds_repo_commit_duration_seconds"), "p99")])
    d.panel("Commit size", "p50 and p99 bytes of blocks written by one commit.", "bytes",
            [(quantile(0.5, "pds_repo_commit_size_bytes"), "p50"),
             (quantile(0.99, "pds_repo_commit_size_bytes"), "p99")])
    d.panel("Blocks written", "Repository blocks written per second, and bytes of commit blocks per second.", "short",
            [(rate("pds_repo_blocks_written_total"), "blocks/s"),
             (rate("pds_repo_commit_size_bytes_sum"), "bytes/s")])
    d.panel("Commits per write transaction", "Group commit: p50/p99 commits applied in one transaction (how many waited for the writer), and transactions per second.", "short",
            [(quantile(0.5, "pds_repo_commit_batch_size"), "p50"),
             (quantile(0.99, "pds_repo_commit_batch_size"), "p99"),
             (rate("pds_repo_commit_batch_size_count"), "transactions/s")])
    d.panel("How commits were built", "Commits per second by how they were built: used = built before the writer on the remembered head (tree, signature, event blocks) and stored as built; stale = the head had moved, built again inside the writer; unprepared = built inside the writer only (first commit after start, uncached tree node, or a write that does not apply).", "short",
            [(rate("pds_repo_commit_prepare_total", by="result"), "{{result}}")], stack=True)
    d.row("Blobs")
    d.panel("Blob uploads by result", "Blob uploads per second, by result.", "reqps",
            [(rate("pds_blob_uploads_total", by="result"), "{{result}}")], stack=True)
    d.panel("Blob upload bytes", "Bytes uploaded per second.", "Bps",
            [(rate("pds_blob_upload_bytes_total"), "bytes/s")])
    d.panel("Blob upload size", "p50 and p99 size of uploaded blobs.", "bytes",
            [(quantile(0.5, "pds_blob_upload_size_bytes"), "p50"),
             (quantile(0.99, "pds_blob_upload_size_bytes"), "p99"),
             (f'{rate("pds_blob_upload_size_bytes_sum")} / {rate("pds_blob_upload_size_bytes_count")}', "mean")])
    d.panel("Blob store size", "Bytes of blob files in the blob store.", "bytes",
            [(gauge("pds_blobstore_bytes", by="instance"), "{{instance}}")])
    d.panel("Blob garbage collection", "Unreferenced blobs deleted per hour.", "short",
            [(f'3600 * {rate("pds_blob_gc_deleted_total")}', "deleted/h")])
    return d


def firehose():
    d = Dashboard("swiftpds-firehose", "SwiftPDS / Firehose and relays",
                  "subscribeRepos subscribers, sequencer, frames and bytes, drops and disconnects, requestCrawl to relays.")
    d.row("Sequencer")
    d.panel("Head seq", "Highest sequence number written to the firehose log.", "none",
            [(gauge("pds_sequencer_head_seq", agg="max"), "head seq")], kind="stat", w=6)
    d.panel("Subscribers", "Connected subscribeRepos clients (alert PDSNoFirehoseSubscribers when 0 for an hour).", "short",
            [(gauge("pds_firehose_subscribers"), "subscribers")], kind="stat", w=6)
    d.panel("Head seq rate", "Sequence numbers allocated per second (alert PDSSequencerStalled when flat while commits happen).", "ops",
            [(f"deriv(pds_sequencer_head_seq{{{I}}}[{RI}])", "{{instance}}")])
    d.panel("Events by type", "Events written to the firehose log per second, by type.", "ops",
            [(rate("pds_sequencer_events_total", by="type"), "{{type}}")], stack=True)
    d.panel("Sequencer write duration", "p50 and p99 duration of firehose event writes.", "s",
            [(quantile(0.5, "pds_sequencer_write_duration_seconds"), "p50"),
             (quantile(0.99, "pds_sequencer_write_duration_seconds"), "p99")])
    d.panel("Oldest event kept", "Age of the oldest event in the firehose log (replay window; retention is firehose.retention_hours).", "s",
            [(gauge("pds_firehose_log_oldest_age_seconds", agg="max"), "oldest event age")])
    d.row("Subscribers")
    d.panel("Subscribers over time", "Connected subscribeRepos clients.", "short",
            [(gauge("pds_firehose_subscribers", by="instance"), "{{instance}}")])
    d.panel("Connections by result", "subscribeRepos connection attempts per second, by result.", "reqps",
            [(rate("pds_firehose_connections_total", by="result"), "{{result}}")])
    d.panel("Disconnect reasons", "subscribeRepos disconnects per minute, by reason.", "short",
            [(f'60 * {rate("pds_firehose_disconnects_total", by="reason")}', "{{reason}}")], stack=True)
    d.panel("Subscribers dropped", "Subscribers dropped per hour because their queue overflowed, by reason (alert PDSFirehoseSubscribersDropped).", "short",
            [(f'3600 * {rate("pds_firehose_outbox_dropped_total", by="reason")}', "{{reason}}")])
    d.panel("Cursor requests", "subscribeRepos cursor (backfill) requests per minute, by result.", "short",
            [(f'60 * {rate("pds_firehose_backfill_requests_total", by="result")}', "{{result}}")])
    d.panel("Subscriber lag and queue depth", "p50/p99 of live events queued for a subscriber after each delivery, and of the queue depth at each send.", "short",
            [(quantile(0.5, "pds_firehose_subscriber_lag_events"), "lag p50"),
             (quantile(0.99, "pds_firehose_subscriber_lag_events"), "lag p99"),
             (quantile(0.5, "pds_firehose_subscriber_queue_events"), "queue p50"),
             (quantile(0.99, "pds_firehose_subscriber_queue_events"), "queue p99")])
    d.row("Frames and bytes")
    d.panel("Frames sent by type", "Firehose frames sent to subscribers per second, by type.", "ops",
            [(rate("pds_firehose_frames_sent_total", by="type"), "{{type}}")], stack=True)
    d.panel("Bytes sent", "Firehose bytes sent to subscribers per second.", "Bps",
            [(rate("pds_firehose_bytes_sent_total"), "bytes/s")])
    d.panel("Frame size", "p50 and p99 size of encoded firehose frames.", "bytes",
            [(quantile(0.5, "pds_firehose_frame_size_bytes"), "p50"),
             (quantile(0.99, "pds_firehose_frame_size_bytes"), "p99")])
    d.row("Sync")
    d.panel("Sync bytes sent by route", "Body bytes per second sent by getRepo, getRecord, getBlocks and getBlob.", "Bps",
            [(rate("pds_sync_bytes_sent_total", by="route"), "{{route}}")], stack=True)
    d.panel("getRepo exports by result", "getRepo CAR exports per minute, by result (error: the export file could not be written, or the download broke off).", "short",
            [(f'60 * {rate("pds_sync_repo_exports_total", by="result")}', "{{result}}")])
    d.row("Relays")
    d.panel("Crawl requests by host and result", "requestCrawl notifications sent to configured relays per hour (alert PDSCrawlRequestsFailing).", "short",
            [(f'3600 * {rate("pds_crawl_requests_total", by="host, result")}', "{{host}} {{result}}")])
    return d


def database():
    d = Dashboard("swiftpds-database", "SwiftPDS / Database and process",
                  "SQLite query durations and errors, database and WAL size, checkpoints, disk, backups, and the process.")
    d.row("Queries")
    d.panel("Query duration p99 by kind", "p99 duration of database reads and write transactions, by kind of work.", "s",
            [(quantile(0.99, "pds_db_query_duration_seconds", by="kind"), "{{kind}}")])
    d.panel("Queries by kind", "Database reads and write transactions per second, by kind of work.", "ops",
            [(rate("pds_db_query_duration_seconds_count", by="kind"), "{{kind}}")], stack=True)
    d.panel("Database errors", "Database errors per second, by kind.", "ops",
            [(rate("pds_db_errors_total", by="kind"), "{{kind}}")])
    d.panel("Mean query duration", "Mean duration of database work, by kind.", "s",
            [(f'{rate("pds_db_query_duration_seconds_sum", by="kind")} / {rate("pds_db_query_duration_seconds_count", by="kind")}', "{{kind}}")])
    d.panel("Work queues", "Jobs queued or running on the server's own threads, sampled at each scrape: db_read (reads, at most 8 run at once), repo_commit (commits waiting for the writer and the batch it applies), repo_prepare (commits being built), file_work (blob and backup file work), journal (journald entries not yet sent, dropped beyond 10,000), firehose_inbox (committed events waiting for the sequencer in memory; past 10,000 it reads the log instead). A queue that stays high is a saturated resource.", "short",
            [(gauge("pds_work_queue_jobs", by="queue", agg="max"), "{{queue}}")], w=24)
    d.row("Files and disk")
    d.panel("Database and WAL size", "Size of the SQLite database file and its write-ahead log (alert PDSWALGrowing).", "bytes",
            [(f"pds_sqlite_db_bytes{{{I}}}", "database {{instance}}"),
             (f"pds_sqlite_wal_bytes{{{I}}}", "WAL {{instance}}")])
    d.panel("WAL checkpoint duration", "p99 duration of WAL checkpoints by trigger: background (beside the writer, when the WAL grew by 500 pages), catchup (inside a commit, until the WAL starts over: this one delays commits), periodic (the 60 s service).", "s",
            [(quantile(0.99, "pds_sqlite_checkpoint_duration_seconds", by="trigger"), "p99 {{trigger}}")])
    d.panel("WAL checkpoints", "Checkpoints per second by trigger; many catch-ups per background checkpoint mean readers keep the WAL from starting over.", "short",
            [(rate("pds_sqlite_checkpoint_duration_seconds_count", by="trigger"), "{{trigger}}")])
    d.panel("Disk free", "Free bytes on the data directory's file system, and the 24 h linear forecast (alert PDSDiskFillingUp below 0).", "bytes",
            [(f"pds_disk_free_bytes{{{I}}}", "free {{instance}}"),
             (f"predict_linear(pds_disk_free_bytes{{{I}}}[6h], 24 * 3600)", "in 24h {{instance}}")])
    d.panel("Blob store size", "Bytes of blob files (on the same file system by default).", "bytes",
            [(f"pds_blobstore_bytes{{{I}}}", "{{instance}}")])
    d.row("Backups")
    d.panel("Time since last backup", "Age of the last successful backup (alert PDSBackupsStale above 2 days).", "s",
            [(f"time() - pds_last_backup_timestamp_seconds{{{I}}}", "{{instance}}")], kind="stat", w=8)
    d.panel("Backup duration", "p50 and p99 duration of backups, and backups per day.", "s",
            [(quantile(0.5, "pds_backup_duration_seconds"), "p50"),
             (quantile(0.99, "pds_backup_duration_seconds"), "p99"),
             (f'86400 * {rate("pds_backup_duration_seconds_count")}', "backups/day")], w=16)
    d.panel("Backups by result", "Scheduled backups per day, by result (ok, error).", "short",
            [(f'86400 * {rate("pds_backups_total", by="result")}', "{{result}}")])
    d.panel("Last backup size", "Bytes of the files of the last successful backup.", "bytes",
            [(f"pds_last_backup_bytes{{{I}}}", "{{instance}}")])
    d.row("Process")
    d.panel("CPU", "CPU time used per second (1 = one full core).", "percentunit",
            [(f'rate(process_cpu_seconds_total{{{I}}}[{RI}])', "{{instance}}")])
    d.panel("Memory", "Resident memory of the process.", "bytes",
            [(f"process_resident_memory_bytes{{{I}}}", "{{instance}}")])
    d.panel("File descriptors", "Open file descriptors against the soft limit.", "short",
            [(f"process_open_fds{{{I}}}", "open {{instance}}"),
             (f"process_max_fds{{{I}}}", "limit {{instance}}")])
    d.panel("Threads", "OS threads of the process.", "short",
            [(f"process_threads{{{I}}}", "{{instance}}")])
    return d


def main():
    # `--out DIR` writes elsewhere (OpsKitTests compare that output with the committed files).
    if len(sys.argv) == 3 and sys.argv[1] == "--out":
        root = sys.argv[2]
    elif len(sys.argv) == 1:
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dashboards")
    else:
        sys.exit("usage: gen-dashboards.py [--out DIR]")
    os.makedirs(root, exist_ok=True)
    for name, build in [("overview", overview), ("repo", repo), ("firehose", firehose), ("database", database)]:
        path = os.path.join(root, f"pds-{name}.json")
        with open(path, "w") as f:
            json.dump(build().json(), f, indent=2, sort_keys=False)
            f.write("\n")
        print(path, file=sys.stderr)


if __name__ == "__main__":
    main()
