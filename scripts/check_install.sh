#!/usr/bin/env bash
# Install and uninstall the addons on fresh databases: each alone, together, and beside
# Odoo's own google_calendar / microsoft_calendar. Any WARNING/ERROR line fails the check.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"

CASES=(
  "calendar_sync_base"
  "calendar_sync_google"
  "calendar_sync_microsoft"
  "calendar_sync_exchange"
  "google_calendar,microsoft_calendar,calendar_sync_base,calendar_sync_google,calendar_sync_microsoft,calendar_sync_exchange"
)
LOG_DIR="$ROOT/.test-logs"
mkdir -p "$LOG_DIR"
failed=0
for modules in "${CASES[@]}"; do
  db="calendar_sync_install_$$"
  log="$LOG_DIR/install-${modules//,/+}.log"
  {
    run_odoo -d "$db" -i "$modules" --stop-after-init --without-demo=all --no-http &&
      "$VENV/bin/python" "$ODOO_PATH/odoo-bin" shell -c "$ODOO_CONF" -d "$db" --no-http \
        <"$ROOT/scripts/uninstall_addons.py"
  } >"$log" 2>&1
  rc=$?
  dropdb --if-exists "$db" >/dev/null 2>&1
  rm -rf "$ROOT/.odoo-data/filestore/$db"
  if [ $rc -ne 0 ] || ! grep -q "UNINSTALL OK" "$log" || grep -Eq " (WARNING|ERROR|CRITICAL) " "$log"; then
    echo "  - install/uninstall of $modules FAILED (log: $log)"
    grep -E " (WARNING|ERROR|CRITICAL) " "$log" | head -5
    failed=$((failed + 1))
  else
    echo "  - install/uninstall of $modules: ok"
  fi
done
echo "Install matrix: $((${#CASES[@]} - failed))/${#CASES[@]} ok"
[ "$failed" -eq 0 ]
