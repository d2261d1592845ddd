"""Configure the scratch database of `make bench-idle` (run by bench/idle_cycle.py).

Fed to ``odoo-bin shell -d <db>`` on stdin, which provides ``env``. Settings come from the
environment (IDLE_*): the Google emulator's URL, client id and secret, and how many users to
connect. Each user gets
an empty Google calendar on the emulator and a connected account with tokens the emulator
issues through its control endpoint; web.base.url stays local, so push is off and every
account is polled (the safety net a cycle stands for).
"""

import os

import requests

from odoo import Command


def setting(name):
    return os.environ[f"IDLE_{name}"]


def point_odoo_at_emulator(env):
    google = setting("GOOGLE_URL")
    params = env["ir.config_parameter"].sudo()
    for key, value in (
        ("enabled", "True"),
        ("client_id", setting("CLIENT_ID")),
        ("client_secret", setting("CLIENT_SECRET")),
        ("auth_endpoint", f"{google}/o/oauth2/v2/auth"),
        ("token_endpoint", f"{google}/token"),
        ("api_base", f"{google}/calendar/v3"),
        ("batch_url", f"{google}/batch/calendar/v3"),
    ):
        params.set_param(f"calendar_sync_google.{key}", value)


def google_tokens(session, email):
    control = f"{setting('GOOGLE_URL')}/_emulator/google"
    session.post(f"{control}/accounts", json={"email": email}, timeout=10).raise_for_status()
    answer = session.post(f"{control}/tokens", json={"email": email}, timeout=10)
    answer.raise_for_status()
    return answer.json()


def configure(env):
    point_odoo_at_emulator(env)
    count = int(setting("ACCOUNTS"))
    emails = [f"idle{number:04d}@idle.example.com" for number in range(count)]
    users = (
        env["res.users"]
        .with_context(no_reset_password=True, tracking_disable=True)
        .create(
            [
                {
                    "name": email.split("@")[0],
                    "login": email,
                    "email": email,
                    "groups_id": [Command.set([env.ref("base.group_user").id])],
                }
                for email in emails
            ]
        )
    )
    session = requests.Session()
    vals = []
    for user in users:
        tokens = google_tokens(session, user.email)
        vals.append(
            {
                "user_id": user.id,
                "provider": "google",
                "state": "connected",
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
            }
        )
    env["calendar.sync.account"].create(vals)
    env.cr.commit()
    print(f"connected {len(vals)} accounts")


configure(env)  # noqa: F821 - provided by odoo-bin shell
