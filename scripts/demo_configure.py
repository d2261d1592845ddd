"""Configure the demo database for the Google, Microsoft and EWS emulators (run by
scripts/demo.sh).

Fed to ``odoo-bin shell -d <demo db>`` on stdin, which provides ``env``. Settings come from the
environment: DEMO_EMULATOR_URL, DEMO_BASE_URL, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_EMAIL,
DEMO_MS_EMULATOR_URL, DEMO_MS_CLIENT_ID, DEMO_EWS_URL.

The emulator keeps its state in memory, so a demo database that was connected during an
earlier ``make demo`` holds tokens and remote ids the new emulator never issued: that earlier
connection and the events it synced are removed, and the demo starts from "Not connected".
"""

import os

PULL_CONTEXT_KEY = "calendar_sync_pull"  # calendar_sync_base.models.calendar_sync_mixin


def configure(env):
    emulator = os.environ["DEMO_EMULATOR_URL"].rstrip("/")
    base_url = os.environ["DEMO_BASE_URL"].rstrip("/")
    params = env["ir.config_parameter"].sudo()
    for key, value in {
        "calendar_sync_google.enabled": "True",
        "calendar_sync_google.paused": False,
        "calendar_sync_google.client_id": os.environ["DEMO_CLIENT_ID"],
        "calendar_sync_google.client_secret": os.environ["DEMO_CLIENT_SECRET"],
        "calendar_sync_google.auth_endpoint": f"{emulator}/o/oauth2/v2/auth",
        "calendar_sync_google.token_endpoint": f"{emulator}/token",
        "calendar_sync_google.api_base": f"{emulator}/calendar/v3",
        "calendar_sync_google.batch_url": f"{emulator}/batch/calendar/v3",
        "calendar_sync_microsoft.enabled": "True",
        "calendar_sync_microsoft.paused": False,
        "calendar_sync_microsoft.backend": "graph",
        "calendar_sync_microsoft.client_id": os.environ["DEMO_MS_CLIENT_ID"],
        "calendar_sync_microsoft.client_secret": os.environ["DEMO_CLIENT_SECRET"],
        "calendar_sync_microsoft.tenant": "common",
        "calendar_sync_microsoft.authority_host": os.environ["DEMO_MS_EMULATOR_URL"],
        "calendar_sync_microsoft.graph_endpoint": os.environ["DEMO_MS_EMULATOR_URL"],
        # Exchange Server next to Graph (Settings shows Graph's backend; saving them keeps one):
        # the emulator's service account opens the user's mailbox by impersonation.
        "calendar_sync_exchange.enabled": "True",
        "calendar_sync_exchange.paused": False,
        "calendar_sync_exchange.ews_url": os.environ["DEMO_EWS_URL"],
        "calendar_sync_exchange.auth": "basic",
        "calendar_sync_exchange.access": "impersonation",
        "calendar_sync_exchange.username": "admin@example.com",
        "calendar_sync_exchange.password": "admin",
        # The OAuth redirect URI is built from web.base.url and must stay the one registered in
        # the emulator: freeze it, else a login through 127.0.0.1 would rewrite it.
        "web.base.url": base_url,
        "web.base.url.freeze": "True",
    }.items():
        params.set_param(key, value)

    # The demo user: Mitchell Admin, in the demo calendar's time zone, with the demo address so
    # the pulled events list them as an attendee.
    admin = env.ref("base.user_admin")
    admin.write({"tz": "Europe/Brussels"})
    admin.partner_id.email = os.environ.get("DEMO_EMAIL", "demo@example.com")

    accounts = env["calendar.sync.account"].sudo().with_context(active_test=False)
    previous = accounts.search([("provider", "in", ("google", "microsoft", "exchange"))])
    if previous:
        links = previous.link_ids
        recurrences = links.recurrence_id
        events = links.event_id | recurrences.calendar_event_ids
        quiet = {PULL_CONTEXT_KEY: True, "active_test": False}
        previous.unlink()
        events.exists().with_context(**quiet).unlink()
        recurrences.exists().with_context(**quiet).unlink()
        print(f"forgot the previous connection(s) and {len(events)} synced event(s)")
    env.cr.commit()
    print(f"Google endpoints -> {emulator}; web.base.url = {base_url}")


configure(env)  # noqa: F821 - provided by odoo-bin shell
