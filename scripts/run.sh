#!/usr/bin/env bash
# Start Odoo on http://localhost:$HTTP_PORT with the three addons installed (development db).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"
odoo_present || { odoo_missing_message; exit 1; }
ensure_postgres
write_odoo_conf
drop_if_uninitialized "$DEV_DB"
if db_exists "$DEV_DB"; then
  run_odoo -d "$DEV_DB" -u "$ADDONS" --stop-after-init
else
  run_odoo -d "$DEV_DB" -i "$ADDONS" --stop-after-init --without-demo=all
fi
say "Odoo on http://localhost:$HTTP_PORT (database $DEV_DB, login admin / admin)"
exec "$VENV/bin/python" "$ODOO_PATH/odoo-bin" -c "$ODOO_CONF" -d "$DEV_DB" --db-filter="^$DEV_DB\$" "$@"
