#!/usr/bin/env bash
# Times `pds backup`, `pds backup --verify` and `pds restore` on a synthetic data folder:
# RECORDS records of RECORD_BYTES bytes and BLOBS blob files of BLOB_KB KiB for one account.
#
#   scripts/bench-backup.sh [path/to/pds]      (default .build/release/pds, else .build/debug/pds)
#
# Needs python3 (its sqlite3 module fills the database a short `pds serve` created and migrated).
set -euo pipefail
PDS=${1:-}
if [[ -z "$PDS" ]]; then
  PDS=.build/release/pds
  [[ -x "$PDS" ]] || PDS=.build/debug/pds
fi
PDS=$(realpath "$PDS")
RECORDS=${RECORDS:-200000}
RECORD_BYTES=${RECORD_BYTES:-300}
BLOBS=${BLOBS:-1000}
BLOB_KB=${BLOB_KB:-100}
WORK=$(mktemp -d /tmp/pds-bench-backup.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

"$PDS" serve --data-dir data --port 0 >serve.log 2>&1 &
SERVE=$!
for _ in $(seq 1 600); do grep -q '"serving"\|msg=serving\|serving' serve.log 2>/dev/null && break; sleep 0.1; done
kill -TERM "$SERVE"
wait "$SERVE" || true

RECORDS=$RECORDS RECORD_BYTES=$RECORD_BYTES BLOBS=$BLOBS BLOB_KB=$BLOB_KB python3 - <<'PY'
import base64, hashlib, os, sqlite3
records, record_bytes = int(os.environ["RECORDS"]), int(os.environ["RECORD_BYTES"])
blobs, blob_kb = int(os.environ["BLOBS"]), int(os.environ["BLOB_KB"])
did = "did:plc:benchbenchbenchbenchbenc"
db = sqlite3.connect("data/pds.sqlite")
db.executemany(
    "INSERT INTO record (did, collection, rkey, cid, content, rev, indexed_at) VALUES (?, 'app.bsky.feed.post', ?, ?, ?, 'r', 'now')",
    ((did, "k%08d" % i, os.urandom(36), os.urandom(record_bytes)) for i in range(records)))
os.makedirs(f"data/blobs/{did}", exist_ok=True)
for _ in range(blobs):
    data = os.urandom(blob_kb * 1024)
    cid = bytes([1, 0x55, 0x12, 0x20]) + hashlib.sha256(data).digest()
    name = "b" + base64.b32encode(cid).decode().lower().rstrip("=")
    with open(f"data/blobs/{did}/{name}", "wb") as f:
        f.write(data)
    db.execute("INSERT INTO blob (did, cid, mime_type, size, created_at) VALUES (?, ?, 'image/png', ?, 'now')", (did, cid, len(data)))
db.commit()
db.close()
PY

seconds() { local start=$(date +%s.%N); "$@" >/dev/null; printf '%.2f' "$(echo "$(date +%s.%N) - $start" | bc)"; }
echo "data: $(du -sh data/pds.sqlite | cut -f1) database ($RECORDS records of $RECORD_BYTES B), $(du -sh data/blobs | cut -f1) blobs ($BLOBS of $BLOB_KB KiB)"
echo "pds backup:          $(seconds "$PDS" backup out --data-dir data) s"
echo "pds backup --verify: $(seconds "$PDS" backup --verify out) s"
echo "pds restore:         $(seconds "$PDS" restore out --data-dir restored) s"
