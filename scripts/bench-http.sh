#!/usr/bin/env bash
# Measures the cost of the middleware stack: requests/second of GET /xrpc/_health through the full
# `pds serve` (request id, metrics, request log, CORS, error mapping, gzip, health cache) against a bare
# Hummingbird route (`pds bench-bare`), with wrk, in one run on the same machine.
#
# Usage: scripts/bench-http.sh [duration_seconds=10] [connections=32] [rounds=2]
# Env:   SCRATCH (build folder, default .build-bench), WRK_THREADS (default 1), PDS_LOG_LEVEL (default info)
# Requires: wrk (Debian package wrk). Writes a summary to bench-results/http-<timestamp>.txt.
set -euo pipefail

duration="${1:-10}"
connections="${2:-32}"
rounds="${3:-2}"
threads="${WRK_THREADS:-1}"

command -v wrk >/dev/null || { echo "bench-http: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
bin="$(build_release pds)/pds"

full_port="$(free_port)"
bare_port="$(free_port)"

PDS_LOG_LEVEL="${PDS_LOG_LEVEL:-info}" "$bin" serve --port "$full_port" --data-dir "$work/data" \
    --log-format logfmt >"$work/full.out" 2>"$work/full.err" &
pids+=($!)
"$bin" bench-bare --port "$bare_port" >"$work/bare.out" 2>"$work/bare.err" &
pids+=($!)

wait_healthy "$full_port"
wait_healthy "$bare_port"

rps() {
    wrk -t"$threads" -c"$connections" -d"${duration}s" "http://127.0.0.1:$1/xrpc/_health" |
        awk '/Requests\/sec:/ { print $2 }'
}

# Warm up both, then alternate so that machine noise hits both sides alike.
wrk -t1 -c4 -d2s "http://127.0.0.1:$bare_port/xrpc/_health" >/dev/null
wrk -t1 -c4 -d2s "http://127.0.0.1:$full_port/xrpc/_health" >/dev/null
bare_total=0
full_total=0
for round in $(seq 1 "$rounds"); do
    b="$(rps "$bare_port")"
    f="$(rps "$full_port")"
    echo "round $round: bare $b req/s, full $f req/s" >&2
    bare_total="$(python3 -c "print($bare_total + $b)")"
    full_total="$(python3 -c "print($full_total + $f)")"
done

mkdir -p "$root/bench-results"
out="$root/bench-results/http-$(date -u +%Y%m%dT%H%M%SZ).txt"
python3 - "$bare_total" "$full_total" "$rounds" "$duration" "$connections" "$threads" "$(nproc)" <<'PY' | tee "$out"
import sys
bare, full, rounds, duration, connections, threads, cpus = sys.argv[1:]
bare = float(bare) / int(rounds)
full = float(full) / int(rounds)
ratio = full / bare if bare else 0
print(f"wrk -t{threads} -c{connections} -d{duration}s GET /xrpc/_health, {rounds} alternating rounds, {cpus} CPUs")
print(f"bare Hummingbird route : {bare:10.0f} req/s")
print(f"full pds serve stack   : {full:10.0f} req/s")
print(f"full / bare            : {ratio * 100:9.1f} %  (requirement: >= 80 %)")
sys.exit(0 if ratio >= 0.8 else 2)
PY
