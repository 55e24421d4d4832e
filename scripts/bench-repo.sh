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

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
duration="${1:-10}"
clients="${2:-16}"
scratch="${SCRATCH:-$root/.build-bench}"

echo "building release binaries in $scratch ..." >&2
swift build -c release --scratch-path "$scratch" --product pds >&2
swift build -c release --scratch-path "$scratch" --product pds-bench >&2
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
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

for _ in $(seq 1 200); do
    if curl -fsS "http://127.0.0.1:$pds_port/xrpc/_health" >/dev/null 2>&1; then break; fi
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$pds_port/xrpc/_health" >/dev/null || { echo "bench-repo: server did not come up" >&2; cat "$work/pds.err" >&2; exit 1; }

mkdir -p "$root/bench-results"
out="$root/bench-results/repo-$(date -u +%Y%m%dT%H%M%SZ).txt"
"$bin/pds-bench" load --url "http://127.0.0.1:$pds_port" --admin-password "$admin_password" \
    --clients "$clients" --duration "$duration" --pid "$server_pid" | tee "$out"
echo "server log: $(wc -l <"$work/pds.err") lines; results in $out" >&2
