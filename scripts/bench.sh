#!/usr/bin/env bash
# `make bench`: HTTP requests and SQL queries of the Google, Microsoft Graph and EWS syncs as the
# calendar grows.
#
#   scripts/bench.sh
#   BENCH_PROVIDERS="google microsoft" BENCH_PUSH_SIZES="100 1000 3000" \
#     BENCH_SYNC_SIZES="1000 10000" BENCH_PULL_SIZES="1000 10000" scripts/bench.sh  (defaults)
#
# Installs calendar_sync_google and calendar_sync_microsoft on a scratch database (dropped
# afterwards, whatever happens), runs bench/calendar_sync_bench.py inside `odoo-bin shell`
# against in-process emulators on 127.0.0.1, prints one table per provider and writes them to
# bench/RESULTS.md (sections of providers left out of BENCH_PROVIDERS are kept).
#
#   scripts/bench.sh --compare   (`make bench-compare`; BENCH_COMPARE_SIZES="1000 10000")
#
# Ours and Odoo's own google_calendar / microsoft_calendar side by side
# (bench/compare_builtin.py): installs the test-only addon calendar_sync_builtin_check (ours
# and the built-in modules) from test_addons/, writes its own section of bench/RESULTS.md.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"

prepare_scratch_run

BENCH_DB="${BENCH_DB:-calendar_sync_bench_$$}"
LOG="$(mktemp -t calendar_sync_bench.XXXXXX.log)"
cleanup() {
  dropdb --if-exists "$BENCH_DB" >/dev/null 2>&1 || true
  rm -rf "$ROOT/.odoo-data/filestore/$BENCH_DB"
}
trap cleanup EXIT
db_exists "$BENCH_DB" && { echo "database $BENCH_DB already exists" >&2; exit 1; }

BENCH_ADDONS="calendar_sync_google,calendar_sync_microsoft,calendar_sync_exchange"
BENCH_MODULE=calendar_sync_bench
ADDONS_PATH="$ODOO_PATH/addons,$ODOO_PATH/odoo/addons,$ROOT"
if [ "${1:-}" = "--compare" ]; then
  BENCH_ADDONS="calendar_sync_builtin_check"
  BENCH_MODULE=compare_builtin
  ADDONS_PATH="$ADDONS_PATH,$ROOT/test_addons"
fi
say "installing $BENCH_ADDONS on scratch database $BENCH_DB (log: $LOG)"
if ! run_odoo -d "$BENCH_DB" -i "$BENCH_ADDONS" --without-demo=all --stop-after-init \
  --addons-path="$ADDONS_PATH" --no-http --log-level=warn >"$LOG" 2>&1; then
  tail -n 40 "$LOG" >&2
  echo "installation failed: see $LOG" >&2
  exit 1
fi

say "running the benchmark (a few minutes)"
# `odoo-bin shell` runs its standard input with `env` bound to the scratch database; it rolls
# the transaction back at the end (the database is dropped anyway).
"$VENV/bin/python" "$ODOO_PATH/odoo-bin" shell -c "$ODOO_CONF" -d "$BENCH_DB" --no-http \
  --addons-path="$ADDONS_PATH" --log-level=warn <<PYTHON
import sys
sys.path.insert(0, "$ROOT")
from bench.$BENCH_MODULE import main
main(env)
PYTHON
rm -f "$LOG"
