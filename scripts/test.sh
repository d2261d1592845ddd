#!/usr/bin/env bash
# The test command: (1) the pure layer with pytest, always; (2) the Odoo layer on a throwaway
# database with --test-enable for the three addons, whenever Odoo 18 is at $ODOO_PATH.
# Exits non-zero on any failure, error, unexpected ERROR log line, or skipped browser tour.
#
# The main run also installs the test-only addon test_addons/calendar_sync_test: a fake
# provider plugged in through the provider seam, which runs the base's provider-agnostic cases.
#
# (3) Odoo's own google_calendar / microsoft_calendar, unchanged, against the emulators: the
# test-only addon test_addons/calendar_sync_builtin_check on a database of its own (the built-in
# modules change calendar.event for everyone, so they stay out of the main test database).
#
# Iterating: `--odoo-only` skips the pure layer and the install matrix; ODOO_TEST_DB=name keeps
# that database between runs (created on the first run, updated with -u afterwards; the
# built-in check uses name_builtin). ODOO_TEST_TAGS picks the runs: tags naming
# calendar_sync_builtin_check run the check, the others the main run.
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
LOG_DIR="$ROOT/.test-logs"
mkdir -p "$LOG_DIR"
BUILTIN_ADDON=calendar_sync_builtin_check
TEST_ADDONS_PATH="$ODOO_PATH/addons,$ODOO_PATH/odoo/addons,$ROOT,$ROOT/test_addons"
MAIN_TAGS="/calendar_sync_base,/calendar_sync_google,/calendar_sync_microsoft,/calendar_sync_exchange,/calendar_sync_test"
BUILTIN_TAGS="/$BUILTIN_ADDON"
if [ -n "${ODOO_TEST_TAGS:-}" ]; then
  MAIN_TAGS="$(tr ',' '\n' <<<"$ODOO_TEST_TAGS" | grep -v "$BUILTIN_ADDON" | paste -sd, -)"
  BUILTIN_TAGS="$(tr ',' '\n' <<<"$ODOO_TEST_TAGS" | grep "$BUILTIN_ADDON" | paste -sd, -)"
fi

# run_tests DB MODULES TAGS LOG [ADDONS_PATH]: install (or update) MODULES on DB, run TAGS.
run_tests() {
  local db="$1" modules="$2" tags="$3" log="$4" update=()
  # A kept database: update what it has, install what it lacks (an addon added since).
  if [ -n "${ODOO_TEST_DB:-}" ] && db_exists "$db"; then update=(-u "$modules"); fi
  say "Odoo layer ($modules) on database $db (log: $log)"
  run_odoo -d "$db" -i "$modules" "${update[@]}" --test-enable --stop-after-init --without-demo=all \
    --http-port="${TEST_HTTP_PORT:-8169}" --log-level=test --test-tags "$tags" \
    ${5:+--addons-path="$5"} >"$log" 2>&1
  local rc=$?
  if [ -z "${ODOO_TEST_DB:-}" ]; then
    dropdb --if-exists "$db" >/dev/null 2>&1 || true
    rm -rf "$ROOT/.odoo-data/filestore/$db"
  fi
  return $rc
}

TEST_DB="${ODOO_TEST_DB:-calendar_sync_test_$$}"
LOG="$LOG_DIR/odoo-test.log"
odoo_rc=skipped
if [ -n "$MAIN_TAGS" ]; then
  run_tests "$TEST_DB" "$ADDONS,calendar_sync_test" "$MAIN_TAGS" "$LOG" "$TEST_ADDONS_PATH"
  odoo_rc=$?
fi
BUILTIN_LOG="$LOG_DIR/odoo-test-builtin.log"
builtin_rc=skipped
if [ -n "$BUILTIN_TAGS" ]; then
  run_tests "${TEST_DB}_builtin" "$BUILTIN_ADDON" "$BUILTIN_TAGS" "$BUILTIN_LOG" "$TEST_ADDONS_PATH"
  builtin_rc=$?
fi

install_rc=0
if [ "$ODOO_ONLY" = 0 ]; then
  say "install / uninstall matrix"
  "$ROOT/scripts/check_install.sh"
  install_rc=$?
fi

report_rc=0
if [ "$odoo_rc" != skipped ]; then
  "$VENV/bin/python" "$ROOT/scripts/odoo_test_report.py" "$LOG" "$odoo_rc" || report_rc=1
fi
if [ "$builtin_rc" != skipped ]; then
  "$VENV/bin/python" "$ROOT/scripts/odoo_test_report.py" "$BUILTIN_LOG" "$builtin_rc" \
    "Odoo layer, Odoo's own sync modules against the emulators" || report_rc=1
fi
[ "$pure_rc" -eq 0 ] && [ "$report_rc" -eq 0 ] && [ "$install_rc" -eq 0 ]
