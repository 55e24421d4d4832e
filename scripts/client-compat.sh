#!/usr/bin/env bash
# Client compatibility check: runs scripts/client-compat.py (the Python `atproto` SDK, MarshalX/atproto, in a
# virtualenv) against a release `pds serve` on a fresh data folder, with `pds-bench plc` as its PLC directory.
# Needs python3 with venv and access to PyPI the first time (the virtualenv is kept in $SCRATCH/client-compat-venv).
# Not part of `swift test`: it needs the network once and exercises a third-party client, not our code alone.
#
# Usage: scripts/client-compat.sh            Env: SCRATCH (build folder, default .build-bench),
#                                                 ATPROTO_SDK_VERSION (default 0.0.73)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
bin="$(build_release pds pds-bench)"

venv="$scratch/client-compat-venv"
version="${ATPROTO_SDK_VERSION:-0.0.73}"
if ! "$venv/bin/python" -c "import sys; from importlib.metadata import version; sys.exit(version('atproto') != '$version')" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "atproto==$version"
fi

plc_port="$(free_port)"
pds_port="$(free_port)"
appview_port="$(free_port)"
mailbox="$work/mailbox"
# A sendmail stand-in: appends each message to the mailbox file.
printf '#!/bin/sh\ncat >> "%s"\n' "$mailbox" > "$work/sendmail"
chmod +x "$work/sendmail"
admin_password="compat-admin-$RANDOM$RANDOM"
"$bin/pds-bench" plc --port "$plc_port" >"$work/plc.out" 2>&1 &
pids+=($!)
# Host name localhost: the DID documents point clients at http://localhost:<port>, which the SDK follows after login.
PDS_DID_PLC_URL="http://127.0.0.1:$plc_port" PDS_ADMIN_PASSWORD="$admin_password" \
    PDS_BSKY_APP_VIEW_URL="http://127.0.0.1:$appview_port" PDS_BSKY_APP_VIEW_DID=did:web:appview.test \
    PDS_EMAIL_SENDMAIL_PATH="$work/sendmail" PDS_EMAIL_FROM_ADDRESS=pds@localhost \
    "$bin/pds" serve --port "$pds_port" --data-dir "$work/data" --log-format logfmt >"$work/pds.out" 2>"$work/pds.err" &
pids+=($!)
wait_healthy "$pds_port"

status=0
"$venv/bin/python" "$root/scripts/client-compat.py" "http://localhost:$pds_port" "$admin_password" "$appview_port" "$mailbox" \
    || status=$?
if [ "$status" -ne 0 ]; then
    echo "server log (warnings and errors):" >&2
    grep -E 'level=(warning|error|critical)' "$work/pds.err" >&2 || true
fi
exit "$status"
