#!/usr/bin/env bash
# Measures com.atproto.sync.getRepo of a large repository through the real `pds serve`: the server's resident
# memory before and after the exports (VmRSS, and the peak VmHWM, from /proc/PID/status) and the throughput.
# The repository is written straight into a temp data folder with `pds-bench sync-seed` (commits of 200 writes).
#
# Usage: scripts/bench-getrepo.sh [records=100000] [fetches=3]
# Env:   SCRATCH (build folder, default .build-bench). Requires curl. Writes bench-results/getrepo-<timestamp>.txt.
set -euo pipefail

records="${1:-100000}"
fetches="${2:-3}"
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
bin="$(build_release pds pds-bench)"

echo "seeding $records records ..." >&2
did="$("$bin/pds-bench" sync-seed "$work/data" "$records" | sed -n 's/^did=//p')"
[ -n "$did" ] || { echo "bench-getrepo: seeding failed" >&2; exit 1; }

port="$(free_port)"
PDS_LOG_LEVEL=info "$bin/pds" serve --port "$port" --data-dir "$work/data" --log-format logfmt \
    >"$work/server.out" 2>"$work/server.err" &
pid=$!
pids+=($pid)
wait_healthy "$port"

kb() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$pid/status"; }
url="http://127.0.0.1:$port/xrpc/com.atproto.sync.getRepo?did=$did"
# One small request first so that the measured growth is the export's, not the first request's.
curl -fsS "http://127.0.0.1:$port/xrpc/com.atproto.sync.getLatestCommit?did=$did" >/dev/null
rss_before="$(kb VmRSS)"
hwm_before="$(kb VmHWM)"
results=()
for i in $(seq 1 "$fetches"); do
    line="$(curl -fsS -o /dev/null -w '%{size_download} %{time_total}' "$url")"
    results+=("$line")
    echo "fetch $i: $line (bytes seconds), VmRSS $(kb VmRSS) kB" >&2
done
gz="$(curl -fsS --compressed -o /dev/null -w '%{size_download} %{time_total}' "$url")"
rss_after="$(kb VmRSS)"
hwm_after="$(kb VmHWM)"

mkdir -p "$root/bench-results"
out="$root/bench-results/getrepo-$(date -u +%Y%m%dT%H%M%SZ).txt"
python3 - "$records" "$rss_before" "$hwm_before" "$rss_after" "$hwm_after" "$gz" "$(nproc)" "${results[@]}" <<'PY' | tee "$out"
import sys
records, rss0, hwm0, rss1, hwm1, gz, cpus = sys.argv[1:8]
runs = [tuple(float(x) for x in r.split()) for r in sys.argv[8:]]
rss0, hwm0, rss1, hwm1 = (int(x) / 1024 for x in (rss0, hwm0, rss1, hwm1))
size = runs[0][0]
best = min(t for _, t in runs)
gz_size, gz_time = (float(x) for x in gz.split())
print(f"getRepo of a {int(records):,}-record repo ({cpus} cores): CAR {size / 1e6:.1f} MB")
print(f"  throughput: best {size / best / 1e6:.1f} MB/s ({best:.2f} s), runs: " + ", ".join(f"{t:.2f} s" for _, t in runs))
print(f"  gzip: {gz_size / 1e6:.1f} MB in {gz_time:.2f} s")
print(f"  server RSS: {rss0:.1f} MB before, {rss1:.1f} MB after; peak (VmHWM) {hwm0:.1f} -> {hwm1:.1f} MB; growth {max(rss1, hwm1) - rss0:.1f} MB")
PY
