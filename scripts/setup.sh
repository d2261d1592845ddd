#!/usr/bin/env bash
# One-command development set-up: virtualenv, Python requirements, Odoo 18's requirements,
# a running PostgreSQL with a role for the current user, Chromium for tours, and a development
# database with the three addons installed. Safe to run again.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"

say "virtualenv at $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
fi
# Old sdists among Odoo's pins (e.g. vobject, pyPDF2) do not build with setuptools >= 70.
CONSTRAINTS="$(mktemp)"
trap 'rm -f "$CONSTRAINTS" "${ODOO_REQS:-}"' EXIT
echo 'setuptools<70' >"$CONSTRAINTS"
# pip >= 25.3 reads build constraints from PIP_BUILD_CONSTRAINT; older pips from PIP_CONSTRAINT.
export PIP_CONSTRAINT="$CONSTRAINTS" PIP_BUILD_CONSTRAINT="$CONSTRAINTS"
"$VENV/bin/pip" install -q --upgrade pip wheel 'setuptools<70'

if odoo_present; then
  say "Odoo 18 found at $ODOO_PATH: installing its Python requirements"
  # python-ldap needs OpenLDAP headers and only serves auth_ldap, which this project never loads.
  ODOO_REQS="$(mktemp)"
  grep -v -i '^python-ldap' "$ODOO_PATH/requirements.txt" >"$ODOO_REQS"
  "$VENV/bin/pip" install -q -r "$ODOO_REQS"
else
  odoo_missing_message
fi

say "installing the project's requirements"
PROJECT_REQS=(-r "$ROOT/requirements.txt" -r "$ROOT/requirements-dev.txt")
if odoo_present; then
  # Odoo's pins are constraints: a newer cryptography breaks Odoo's pinned pyOpenSSL, etc.
  # Except polib: OCA's checks need 1.2, which reads .po files as Odoo's 1.1.1 does.
  ODOO_CONSTRAINTS="$(mktemp)"
  grep -v -i '^polib' "$ODOO_REQS" >"$ODOO_CONSTRAINTS"
  PROJECT_REQS+=(-c "$ODOO_CONSTRAINTS")
fi
"$VENV/bin/pip" install -q "${PROJECT_REQS[@]}"
# The emulators package (pyproject.toml), editable: `import emulators` from any directory. Its
# dependencies are among the requirements just installed under Odoo's pins.
"$VENV/bin/pip" install -q --no-deps -e "$ROOT"

if ! odoo_present; then
  say "pure layer ready; the Odoo layer needs Odoo 18 (see above)"
  exit 0
fi

ensure_postgres
ensure_chromium
write_odoo_conf

say "development database '$DEV_DB' with the addons installed"
drop_if_uninitialized "$DEV_DB"
if db_exists "$DEV_DB"; then
  run_odoo -d "$DEV_DB" -u "$ADDONS" --stop-after-init
else
  run_odoo -d "$DEV_DB" -i "$ADDONS" --stop-after-init --without-demo=all
fi
say "done: 'make test' runs the tests, 'make run' starts Odoo on http://localhost:8069"
