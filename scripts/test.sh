#!/usr/bin/env bash
# The test command: (1) the pure layer with pytest, always; (2) the Odoo layer on a throwaway
# database with --test-enable for the three addons, whenever Odoo 18 is at $ODOO_PATH.
# Exits non-zero on any failure, error, unexpected ERROR log line, or skipped browser tour.
#
# Iterating: `--odoo-only` skips the pure layer and the install matrix; ODOO_TEST_DB=name keeps
# that database between runs (created on the first run, updated with -u afterwards).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"

PURE_ONLY=0
ODOO_ONLY=0
[ "${1:-}" = "--pure-only" ] && PURE_ONLY=1
[ "${1:-}" = "--odoo-only" ] && ODOO_ONLY=1

[ -x "$VENV/bin/python" ] || { echo "No virtualenv at $VENV: run 'make setup' first." >&2; exit 2; }

pure_rc=0
if [ "$ODOO_ONLY" = 0 ]; then
  say "pure layer (pytest)"
  "$VENV/bin/pytest" -q "$ROOT/tests"
  pure_rc=$?
fi

if [ "$PURE_ONLY" = 1 ]; then exit "$pure_rc"; fi
if ! odoo_present; then
  echo "Odoo layer: SKIPPED (no Odoo 18 at $ODOO_PATH; set ODOO_PATH to an Odoo 18 source tree)"
  exit "$pure_rc"
fi

ensure_postgres
write_odoo_conf
TEST_DB="${ODOO_TEST_DB:-calendar_sync_test_$$}"
INSTALL_FLAG=-i
if [ -n "${ODOO_TEST_DB:-}" ] && db_exists "$TEST_DB"; then INSTALL_FLAG=-u; fi
LOG_DIR="$ROOT/.test-logs"
mkdir -p "$LOG_DIR"
LOG="$LOG_DIR/odoo-test.log"
say "Odoo layer on database $TEST_DB (log: $LOG)"
run_odoo -d "$TEST_DB" "$INSTALL_FLAG" "$ADDONS" --test-enable --stop-after-init --without-demo=all \
  --http-port="${TEST_HTTP_PORT:-8169}" --log-level=test \
  --test-tags "${ODOO_TEST_TAGS:-/calendar_sync_base,/calendar_sync_google,/calendar_sync_microsoft}" \
  >"$LOG" 2>&1
odoo_rc=$?
if [ -z "${ODOO_TEST_DB:-}" ]; then
  dropdb --if-exists "$TEST_DB" >/dev/null 2>&1 || true
  rm -rf "$ROOT/.odoo-data/filestore/$TEST_DB"
fi

install_rc=0
if [ "$ODOO_ONLY" = 0 ]; then
  say "install / uninstall matrix"
  "$ROOT/scripts/check_install.sh"
  install_rc=$?
fi

"$VENV/bin/python" "$ROOT/scripts/odoo_test_report.py" "$LOG" "$odoo_rc"
report_rc=$?
[ "$pure_rc" -eq 0 ] && [ "$report_rc" -eq 0 ] && [ "$install_rc" -eq 0 ]
