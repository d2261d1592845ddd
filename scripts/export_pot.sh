#!/usr/bin/env bash
# Regenerate i18n/<addon>.pot of each addon with Odoo's own exporter (`make pot`).
#
#   scripts/export_pot.sh [addon ...]     (default: every calendar_sync_* addon with a manifest)
#
# The addons are installed (without demo data) on a scratch database that is dropped afterwards,
# whatever happens; the development database is never touched.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"

require_odoo_and_venv

if [ "$#" -gt 0 ]; then
  addons=("$@")
else
  addons=()
  for manifest in "$ROOT"/calendar_sync_*/__manifest__.py; do
    addons+=("$(basename "$(dirname "$manifest")")")
  done
fi
[ "${#addons[@]}" -gt 0 ] || { echo "no addon to export" >&2; exit 2; }
for addon in "${addons[@]}"; do
  [ -f "$ROOT/$addon/__manifest__.py" ] || { echo "$addon: no $ROOT/$addon/__manifest__.py" >&2; exit 2; }
done

ensure_postgres
[ -f "$ODOO_CONF" ] || write_odoo_conf

POT_DB="calendar_sync_pot_$$"
LOG="$(mktemp -t calendar_sync_pot.XXXXXX.log)"
cleanup() {
  dropdb --if-exists "$POT_DB" >/dev/null 2>&1 || true
  rm -rf "$ROOT/.odoo-data/filestore/$POT_DB"
}
trap cleanup EXIT

install_list="$(IFS=,; echo "${addons[*]}")"
say "installing $install_list on scratch database $POT_DB (log: $LOG)"
if ! run_odoo -d "$POT_DB" -i "$install_list" --without-demo=all --stop-after-init \
  --http-port="${POT_HTTP_PORT:-8269}" --log-level=warn >"$LOG" 2>&1; then
  tail -n 40 "$LOG" >&2
  echo "installation failed: see $LOG" >&2
  exit 1
fi
if grep -qE " (ERROR|CRITICAL) " "$LOG"; then
  grep -E " (ERROR|CRITICAL) " "$LOG" >&2
  echo "installation logged errors: see $LOG" >&2
  exit 1
fi

for addon in "${addons[@]}"; do
  pot="$ROOT/$addon/i18n/$addon.pot"
  mkdir -p "$(dirname "$pot")"
  say "exporting $addon -> ${pot#"$ROOT"/}"
  run_odoo -d "$POT_DB" --i18n-export="$pot" --modules="$addon" --stop-after-init \
    --http-port="${POT_HTTP_PORT:-8269}" --log-level=warn >>"$LOG" 2>&1
  # Like OCA's: no timestamps in the template, so an unchanged addon gives an unchanged .pot.
  sed -i -e '/^"POT-Creation-Date: /d' -e '/^"PO-Revision-Date: /d' "$pot"
done
rm -f "$LOG"
