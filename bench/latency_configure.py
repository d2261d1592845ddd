"""Configure the scratch database of `make bench-latency` (run by bench/latency.py).

Fed to ``odoo-bin shell -d <db>`` on stdin, which provides ``env``. Settings come from the
environment (LATENCY_*): the emulators' URLs, a public https web.base.url (frozen, so push
notifications are on), and one user per provider, connected: Google with tokens the emulator
issues through its control endpoint, Microsoft through msal's real sign-in (the emulator
approves at once).
"""

import os
from urllib.parse import parse_qs, urlsplit

import requests

from odoo import Command


def setting(name):
    return os.environ[f"LATENCY_{name}"]


def point_odoo_at_emulators(env):
    google = setting("GOOGLE_URL")
    microsoft = setting("MICROSOFT_URL")
    params = env["ir.config_parameter"].sudo()
    for key, value in {
        "calendar_sync_google.enabled": "True",
        "calendar_sync_google.client_id": setting("GOOGLE_CLIENT_ID"),
        "calendar_sync_google.client_secret": setting("CLIENT_SECRET"),
        "calendar_sync_google.auth_endpoint": f"{google}/o/oauth2/v2/auth",
        "calendar_sync_google.token_endpoint": f"{google}/token",
        "calendar_sync_google.api_base": f"{google}/calendar/v3",
        "calendar_sync_google.batch_url": f"{google}/batch/calendar/v3",
        "calendar_sync_microsoft.enabled": "True",
        "calendar_sync_microsoft.backend": "graph",
        "calendar_sync_microsoft.client_id": setting("MICROSOFT_CLIENT_ID"),
        "calendar_sync_microsoft.client_secret": setting("CLIENT_SECRET"),
        "calendar_sync_microsoft.tenant": "common",
        "calendar_sync_microsoft.authority_host": microsoft,
        "calendar_sync_microsoft.graph_endpoint": microsoft,
        "web.base.url": setting("PUBLIC_URL"),
        "web.base.url.freeze": "True",
    }.items():
        params.set_param(key, value)


def new_user(env, email):
    return env["res.users"].create(
        {
            "name": email.split("@")[0].title(),
            "login": email,
            "email": email,
            "password": setting("PASSWORD"),
            "tz": "UTC",
            "groups_id": [Command.set([env.ref("base.group_user").id])],
        }
    )


def connect_google(env, user):
    answer = requests.post(
        f"{setting('GOOGLE_URL')}/_emulator/google/tokens", json={"email": user.email}, timeout=10
    )
    answer.raise_for_status()
    tokens = answer.json()
    return env["calendar.sync.account"].create(
        {
            "user_id": user.id,
            "provider": "google",
            "state": "connected",
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
        }
    )


def connect_microsoft(env, user):
    accounts = env["calendar.sync.account"].with_user(user)
    flow = accounts._microsoft_start_flow()
    answer = requests.get(
        flow["auth_uri"], params={"login_hint": user.email}, allow_redirects=False, timeout=10
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
    return accounts._microsoft_connect(flow, query).sudo()


def configure(env):
    point_odoo_at_emulators(env)
    env.ref("base.user_admin").password = setting("PASSWORD")
    accounts = connect_google(env, new_user(env, setting("GOOGLE_EMAIL")))
    accounts |= connect_microsoft(env, new_user(env, setting("MICROSOFT_EMAIL")))
    accounts._sync_request()
    env["calendar.sync.channel"]._push_schedule()
    env.cr.commit()
    print(f"connected {len(accounts)} accounts")


configure(env)  # noqa: F821 - provided by odoo-bin shell
