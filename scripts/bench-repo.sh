#!/usr/bin/env bash
# Repository load benchmark (issue 4): starts `pds-bench plc` (a did:plc directory that accepts every operation)
# and a release `pds serve` on a fresh data folder pointed at it, with rate limits off, then runs
# `pds-bench load` against the server: createRecord throughput and p50/p99 at 1 client (one repo) and at N
# clients (N repos), getRecord and listRecords throughput, and the server's idle resident memory.
#
# Usage: scripts/bench-repo.sh [duration_seconds=10] [clients=16]
# Env:   SCRATCH (build folder, default .build-bench), PDS_LOG_LEVEL (default info: one line per request, to a file)
# To measure a server you run yourself, see `pds-bench load --help` (it needs an invite code or the admin
# password, and the server's PDS_DID_PLC_URL must accept new DIDs: run `pds-bench plc` for that).
set -euo pipefail

duration="${1:-10}"
clients="${2:-16}"
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
bin="$(build_release pds pds-bench)"

plc_port="$(free_port)"
pds_port="$(free_port)"
admin_password="bench-admin-$RANDOM$RANDOM"

"$bin/pds-bench" plc --port "$plc_port" >"$work/plc.out" 2>&1 &
pids+=($!)

PDS_DID_PLC_URL="http://127.0.0.1:$plc_port" PDS_RATE_LIMITS_ENABLED=false PDS_ADMIN_PASSWORD="$admin_password" \
    PDS_LOG_LEVEL="${PDS_LOG_LEVEL:-info}" \
    "$bin/pds" serve --port "$pds_port" --data-dir "$work/data" --log-format logfmt >"$work/pds.out" 2>"$work/pds.err" &
server_pid=$!
pids+=($server_pid)

wait_healthy "$pds_port"

mkdir -p "$root/bench-results"
out="$root/bench-results/repo-$(date -u +%Y%m%dT%H%M%SZ).txt"
"$bin/pds-bench" load --url "http://127.0.0.1:$pds_port" --admin-password "$admin_password" \
    --clients "$clients" --duration "$duration" --pid "$server_pid" | tee "$out"
echo "server log: $(wc -l <"$work/pds.err") lines; results in $out" >&2
