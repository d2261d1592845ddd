# Shared helpers for the project's scripts (sourced, not run).
# shellcheck shell=bash

ODOO_PATH="${ODOO_PATH:-/opt/odoo}"
VENV="${VENV:-$ROOT/.venv}"
ODOO_CONF="$ROOT/.odoo.conf"
DEV_DB="${DEV_DB:-calendar_sync_dev}"
ADDONS="calendar_sync_base,calendar_sync_google,calendar_sync_microsoft,calendar_sync_exchange"
HTTP_PORT="${HTTP_PORT:-8069}"

say() { printf '==> %s\n' "$*"; }

odoo_present() {
  [ -x "$ODOO_PATH/odoo-bin" ] && grep -q "version_info = (18," "$ODOO_PATH/odoo/release.py" 2>/dev/null
}

odoo_missing_message() {
  cat <<EOF
==> No Odoo 18 source tree at ODOO_PATH=$ODOO_PATH (expected $ODOO_PATH/odoo-bin and
    version 18 in $ODOO_PATH/odoo/release.py).
    Only the pure-Python layer (engine, connectors, emulators) can be installed and tested.
    To enable the Odoo layer, put an Odoo 18.0 Community source tree there, or point to one:
        ODOO_PATH=/path/to/odoo-18.0 make setup
EOF
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root for: $*" >&2
    return 1
  fi
}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

ensure_postgres() {
  if ! pg_isready -q; then
    command -v pg_lsclusters >/dev/null || {
      echo "PostgreSQL is not running and no local cluster is installed (pg_lsclusters missing)." >&2
      echo "Start a PostgreSQL >= 12 server reachable through the default socket, then re-run." >&2
      return 1
    }
    local version cluster
    read -r version cluster _ < <(pg_lsclusters --no-header | head -n 1)
    say "starting PostgreSQL cluster $version/$cluster"
    as_root pg_ctlcluster "$version" "$cluster" start
    for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
  fi
  local me
  me="$(id -un)"
  if ! psql -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    say "creating PostgreSQL superuser role '$me'"
    as_postgres createuser --superuser "$me"
  fi
}

ensure_chromium() {
  # Odoo's tours need Chromium and websocket-client; without them Odoo silently skips tours.
  if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
    say "installing Debian's chromium for browser tests"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null ||
      { as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
  fi
}

write_odoo_conf() {
  cat >"$ODOO_CONF" <<EOF
[options]
addons_path = $ODOO_PATH/addons,$ODOO_PATH/odoo/addons,$ROOT
data_dir = $ROOT/.odoo-data
http_port = $HTTP_PORT
http_interface = 127.0.0.1
db_user = $(id -un)
list_db = True
EOF
}

db_exists() {
  psql -d postgres -tAc "select 1 from pg_database where datname = '$1'" | grep -q 1
}

# A database an interrupted set-up left without Odoo's tables: drop it so it is made again.
drop_if_uninitialized() {
  if db_exists "$1" && ! psql -d "$1" -tAc "select to_regclass('ir_module_module')" | grep -q .; then
    say "database '$1' was left half-created: dropping it"
    dropdb "$1"
  fi
}

# The tests import `emulators`, a declared package that `make setup` installs editable. This
# checkout's copy comes first all the same: the virtualenv may predate that install, or be
# shared with another checkout (git worktrees) that its editable install points at.
# What every script that runs Odoo needs first: an Odoo 18 tree and the virtualenv (exits 2
# saying what is missing).
require_odoo_and_venv() {
  if ! odoo_present; then
    odoo_missing_message >&2
    exit 2
  fi
  [ -x "$VENV/bin/python" ] || { echo "No virtualenv at $VENV: run 'make setup' first." >&2; exit 2; }
}

# A scratch-database script's set-up: Odoo, the virtualenv, PostgreSQL and the Odoo config.
prepare_scratch_run() {
  require_odoo_and_venv
  ensure_postgres
  [ -f "$ODOO_CONF" ] || write_odoo_conf
}

run_odoo() {
  PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
    "$VENV/bin/python" "$ODOO_PATH/odoo-bin" -c "$ODOO_CONF" "$@"
}
