# Shared by the benchmark scripts (source it; it is not run on its own): building the release binaries into one
# scratch folder, a temp work folder with the started processes cleaned up on exit, free loopback ports and
# waiting for a server's /xrpc/_health.
#
# After sourcing: $root (the repository), $work (temp folder), $pids (processes to stop on exit; append with
# pids+=($!)). Env: SCRATCH (build folder, default .build-bench).

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scratch="${SCRATCH:-$root/.build-bench}"

# Builds the given products in release mode and prints the folder holding them.
build_release() {
    echo "building release binaries ($*) in $scratch ..." >&2
    local product
    for product in "$@"; do swift build -c release --scratch-path "$scratch" --product "$product" >&2; done
    swift build -c release --scratch-path "$scratch" --show-bin-path
}

work="$(mktemp -d)"
pids=()
bench_cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap bench_cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits up to 30 s for a server on 127.0.0.1:PORT to answer /xrpc/_health; else prints the servers' stderr
# (the work folder's *.err files) and exits.
wait_healthy() {
    local _
    for _ in $(seq 1 300); do
        if curl -fsS "http://127.0.0.1:$1/xrpc/_health" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "$(basename "$0"): server on port $1 did not come up" >&2
    cat "$work"/*.err >&2 2>/dev/null || true
    exit 1
}
