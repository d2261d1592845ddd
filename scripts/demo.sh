#!/usr/bin/env bash
# `make demo`: the Google Calendar, Microsoft (Outlook) and Exchange Server (EWS) emulators,
# each with a demo account and events, and Odoo configured to use them, so every sync can be
# tried without a Google, Microsoft or Exchange account. Ctrl-C stops everything.
#
# Environment: DEMO_DB (calendar_sync_demo), HTTP_PORT (8069), EMULATOR_PORT (8765),
# MS_EMULATOR_PORT (8766), EWS_EMULATOR_PORT (8767), DEMO_FRESH=1 drops and recreates the demo
# database first.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"

DEMO_DB="${DEMO_DB:-calendar_sync_demo}"
EMULATOR_PORT="${EMULATOR_PORT:-8765}"
# The emulator listens on 127.0.0.1 only; Odoo is reached as localhost (web.base.url).
EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT"
ODOO_URL="http://localhost:$HTTP_PORT"
DEMO_EMAIL="demo@example.com"
# The OAuth client registered in the emulator and entered in Odoo's settings (not secret).
DEMO_CLIENT_ID="calendar-sync-demo.apps.googleusercontent.com"
DEMO_CLIENT_SECRET="calendar-sync-demo-secret"
MS_EMULATOR_PORT="${MS_EMULATOR_PORT:-8766}"
# Microsoft's sign-in must be https (msal insists): the emulator serves TLS with its own CA.
MS_EMULATOR_URL="https://127.0.0.1:$MS_EMULATOR_PORT"
MS_CLIENT_ID="6d6f6465-6d6f-4a0b-8c0d-63616c73796e"
# Exchange Server: Basic over loopback http, the emulator's service account impersonating.
EWS_EMULATOR_PORT="${EWS_EMULATOR_PORT:-8767}"
EWS_URL="http://127.0.0.1:$EWS_EMULATOR_PORT/EWS/Exchange.asmx"
LOG_DIR="$ROOT/.odoo-data/demo"
MS_CERT_DIR="$LOG_DIR/microsoft-tls"
CA_BUNDLE="$LOG_DIR/ca-bundle.pem"

odoo_present || { odoo_missing_message; exit 1; }
[ -x "$VENV/bin/python" ] || { echo "No virtualenv at $VENV: run 'make setup' first." >&2; exit 1; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$EMULATOR_PORT" "$MS_EMULATOR_PORT" "$EWS_EMULATOR_PORT" "$HTTP_PORT"; do
  if port_busy "$port"; then
    echo "Port $port is already in use (another 'make demo' or 'make run'?)." >&2
    echo "Stop it, or choose other ports: HTTP_PORT=8070 EMULATOR_PORT=8775 MS_EMULATOR_PORT=8776 EWS_EMULATOR_PORT=8777 make demo" >&2
    exit 1
  fi
done

ensure_postgres
[ -f "$ODOO_CONF" ] || write_odoo_conf
mkdir -p "$LOG_DIR"

emulator_pid=""
ms_emulator_pid=""
ews_emulator_pid=""
# Wait until an emulator answers on its control endpoint; stop with its log if it died or
# never answered. -k: the Microsoft emulator's certificate is its own CA's.
wait_for_emulator() {  # name url pid log
  for _ in $(seq 1 50); do
    curl -sfk -o /dev/null "$2/_emulator/" && return 0
    kill -0 "$3" 2>/dev/null || { cat "$4" >&2; exit 1; }
    sleep 0.2
  done
  echo "The $1 emulator did not answer on $2" >&2
  cat "$4" >&2
  exit 1
}

cleanup() {
  trap - EXIT INT TERM
  for pid in "$emulator_pid" "$ms_emulator_pid" "$ews_emulator_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  say "emulators stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting the Google emulator on $EMULATOR_URL (log: $LOG_DIR/emulator.log)"
(
  cd "$ROOT"
  exec "$VENV/bin/python" -m emulators google --port "$EMULATOR_PORT" --seed-demo --verbose \
    --option auto_approve=false \
    --option "client_id=$DEMO_CLIENT_ID" \
    --option "client_secret=$DEMO_CLIENT_SECRET" \
    --option "redirect_uris=[\"$ODOO_URL/calendar_sync_google/authentication\"]"
) >"$LOG_DIR/emulator.log" 2>&1 &
emulator_pid=$!
wait_for_emulator Google "$EMULATOR_URL" "$emulator_pid" "$LOG_DIR/emulator.log"

say "starting the Microsoft emulator on $MS_EMULATOR_URL (log: $LOG_DIR/microsoft-emulator.log)"
(
  cd "$ROOT"
  exec "$VENV/bin/python" -m emulators microsoft --port "$MS_EMULATOR_PORT" --seed-demo \
    --option auto_approve=false \
    --option "client_id=$MS_CLIENT_ID" \
    --option "client_secret=$DEMO_CLIENT_SECRET" \
    --option "cert_dir=$MS_CERT_DIR"
) >"$LOG_DIR/microsoft-emulator.log" 2>&1 &
ms_emulator_pid=$!
wait_for_emulator Microsoft "$MS_EMULATOR_URL" "$ms_emulator_pid" "$LOG_DIR/microsoft-emulator.log"
# Odoo must trust the emulator's CA; REQUESTS_CA_BUNDLE wins over requests' own verify=.
(cd "$ROOT" && "$VENV/bin/python" -c \
  "import sys; from emulators.microsoft.tls import write_bundle; write_bundle(*sys.argv[1:])" \
  "$MS_CERT_DIR/emulator-ca.pem" "$CA_BUNDLE")
export REQUESTS_CA_BUNDLE="$CA_BUNDLE" CURL_CA_BUNDLE="$CA_BUNDLE"

say "starting the Exchange Server (EWS) emulator on $EWS_URL (log: $LOG_DIR/ews-emulator.log)"
(
  cd "$ROOT"
  exec "$VENV/bin/python" -m emulators ews --port "$EWS_EMULATOR_PORT" --seed-demo
) >"$LOG_DIR/ews-emulator.log" 2>&1 &
ews_emulator_pid=$!
wait_for_emulator Exchange "http://127.0.0.1:$EWS_EMULATOR_PORT" "$ews_emulator_pid" \
  "$LOG_DIR/ews-emulator.log"

if [ "${DEMO_FRESH:-0}" = "1" ] && db_exists "$DEMO_DB"; then
  say "dropping database $DEMO_DB and its filestore (DEMO_FRESH=1)"
  "$VENV/bin/python" "$ODOO_PATH/odoo-bin" db -c "$ODOO_CONF" drop "$DEMO_DB"
fi
if db_exists "$DEMO_DB"; then
  say "updating the addons in database $DEMO_DB"
  run_odoo -d "$DEMO_DB" -u "$ADDONS" --stop-after-init --no-http --log-level=warn
else
  say "creating database $DEMO_DB with $ADDONS (takes a minute)"
  run_odoo -d "$DEMO_DB" -i "$ADDONS" --stop-after-init --no-http --without-demo=all \
    --log-level=warn
fi

say "pointing Odoo's Google, Outlook and Exchange Server settings at the emulators"
DEMO_EMULATOR_URL="$EMULATOR_URL" DEMO_BASE_URL="$ODOO_URL" DEMO_EMAIL="$DEMO_EMAIL" \
  DEMO_CLIENT_ID="$DEMO_CLIENT_ID" DEMO_CLIENT_SECRET="$DEMO_CLIENT_SECRET" \
  DEMO_MS_EMULATOR_URL="$MS_EMULATOR_URL" DEMO_MS_CLIENT_ID="$MS_CLIENT_ID" \
  DEMO_EWS_URL="$EWS_URL" \
  "$VENV/bin/python" "$ODOO_PATH/odoo-bin" shell -c "$ODOO_CONF" -d "$DEMO_DB" --no-http \
  --log-level=warn <"$ROOT/scripts/demo_configure.py"

cat <<EOF

==========================================================================================
 Calendar Sync demo: Odoo + a local Google Calendar emulator (no Google account needed)

 1. Open $ODOO_URL and log in as admin / admin
    (use "localhost", not 127.0.0.1: the emulator only accepts that redirect URI).
 2. Open the Calendar app. The side panel (right, under the mini calendar and the attendee
    filters) has a "Two-way sync" section with a "Google / Not connected" button: click it.
 3. The emulator's consent page opens (it stands in for accounts.google.com): keep the account
    $DEMO_EMAIL and click "Allow".
 4. You are back in the Calendar: the first sync has pulled the demo events (a weekly team
    meeting, a lunch, a dentist appointment, an invitation from a partner, an all-day offsite).
    Switch to the Month view to see them all. The button now shows "Google / Synchronized".
 5. Create an event in Odoo, then click "Google" again: the notification says what was
    pulled / pushed / deleted, and the event is now in the emulator's calendar.
 6. Click "Outlook" in the same panel: the Microsoft emulator's sign-in page opens (through
    msal, as with Microsoft 365); allow, and the Outlook demo events arrive too.
 7. Click "Exchange Server": no sign-in page, the administrator's service account opens the
    mailbox $DEMO_EMAIL by impersonation, and the Exchange demo events arrive.

 Look at the emulator's side (JSON; control endpoints, not part of Google's API):
   events in the demo calendar:  $EMULATOR_URL/_emulator/google/events/$DEMO_EMAIL
   every API request Odoo made:  $EMULATOR_URL/_emulator/requests
   all control endpoints:        $EMULATOR_URL/_emulator/
   force a 410 full resync:      curl -X POST $EMULATOR_URL/_emulator/google/expire-sync-tokens
 Outlook side: $MS_EMULATOR_URL/_emulator/ (CA to trust: $MS_CERT_DIR/emulator-ca.pem)
 Exchange side: $EWS_URL (SOAP; Basic or NTLM, $DEMO_EMAIL / demo in Outlook-like clients)
 Emulator logs: $LOG_DIR/emulator.log, $LOG_DIR/microsoft-emulator.log,
   $LOG_DIR/ews-emulator.log
 Database: $DEMO_DB (DEMO_FRESH=1 make demo recreates it)
 The emulator keeps its state in memory: each 'make demo' starts from the demo data again,
 and the demo database forgets its previous Google connection.

 Ctrl-C stops Odoo and the emulator.
==========================================================================================

EOF

say "Odoo on $ODOO_URL (database $DEMO_DB)"
# Not exec: the EXIT trap must stop the emulator when Odoo ends.
run_odoo -d "$DEMO_DB" --db-filter="^$DEMO_DB\$" --http-port="$HTTP_PORT" "$@"
