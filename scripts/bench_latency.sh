#!/usr/bin/env bash
# `make bench-latency`: seconds from an edit on one side to the changed copy on the other, with
# a real `odoo-bin --workers=2 --max-cron-threads=1` and the Google and Microsoft emulators as
# separate processes delivering push notifications (bench/latency.py).
#
# `scripts/bench_latency.sh idle_cycle` (`make bench-idle`): the same scratch set-up for
# bench/idle_cycle.py, an idle cycle over 1,000 accounts with one and two cron workers
# (IDLE_ACCOUNTS=1000 IDLE_GOOGLE_PORT=8234; the HTTP ports are the ones below).
#
#   LATENCY_EDITS=50 LATENCY_POLLING_EDITS=2 LATENCY_POLLING_MINUTES=1 scripts/bench_latency.sh
#   (defaults; ports: LATENCY_HTTP_PORT=8230, LATENCY_GOOGLE_PORT=8231,
#   LATENCY_MICROSOFT_PORT=8232, LATENCY_GEVENT_PORT=8233)
#
# Installs the addons on a scratch database (dropped afterwards, whatever happens) and writes
# its section of bench/RESULTS.md. Logs of the server and the emulators: $LATENCY_LOG_DIR
# (a temporary directory, removed when the run succeeds).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"

prepare_scratch_run

BENCH_DB="${BENCH_DB:-calendar_sync_latency_$$}"
export LATENCY_LOG_DIR="${LATENCY_LOG_DIR:-$(mktemp -d -t calendar_sync_latency.XXXXXX)}"
cleanup() {
  dropdb --if-exists "$BENCH_DB" >/dev/null 2>&1 || true
  rm -rf "$ROOT/.odoo-data/filestore/$BENCH_DB"
}
trap cleanup EXIT
db_exists "$BENCH_DB" && { echo "database $BENCH_DB already exists" >&2; exit 1; }

say "installing $ADDONS on scratch database $BENCH_DB (logs: $LATENCY_LOG_DIR)"
if ! run_odoo -d "$BENCH_DB" -i "$ADDONS" --without-demo=all --stop-after-init --no-http \
  --log-level=warn >"$LATENCY_LOG_DIR/install.log" 2>&1; then
  tail -n 40 "$LATENCY_LOG_DIR/install.log" >&2
  exit 1
fi

say "measuring (a few minutes)"
(cd "$ROOT" && "$VENV/bin/python" -m "bench.${1:-latency}" "$BENCH_DB")
rm -rf "$LATENCY_LOG_DIR"
