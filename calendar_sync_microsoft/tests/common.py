import datetime as dt
from urllib.parse import parse_qs, urlsplit

import requests

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.calendar_sync_base.tests.common import SyncCaseMixin

from emulators.microsoft import MicrosoftEmulator, trusting

CLIENT_ID = "3f1c7c7e-0d6f-4b0e-9a55-odootest0001"
CLIENT_SECRET = "test-secret"


def start_emulator(case_class):
    """Microsoft's emulator over TLS, trusted by this process for the class's duration."""
    microsoft = MicrosoftEmulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET).start()
    case_class.addClassCleanup(microsoft.stop)
    trust = trusting(microsoft.ca_path)
    trust.__enter__()
    case_class.addClassCleanup(trust.__exit__, None, None, None)
    return microsoft


def point_odoo_at(env, microsoft):
    params = env["ir.config_parameter"].sudo()
    for key, value in {
        "calendar_sync_microsoft.enabled": "True",
        "calendar_sync_microsoft.client_id": CLIENT_ID,
        "calendar_sync_microsoft.client_secret": CLIENT_SECRET,
        "calendar_sync_microsoft.tenant": "common",
        "calendar_sync_microsoft.authority_host": microsoft.url,
        "calendar_sync_microsoft.graph_endpoint": microsoft.url,
    }.items():
        params.set_param(key, value)


def graph_time(moment, zone="UTC"):
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": zone}


class MicrosoftSyncCase(SyncCaseMixin, TransactionCase):
    """A user connected to the Microsoft emulator through the real msal flow."""

    email = "alice@example.com"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.microsoft = start_emulator(cls)
        point_odoo_at(cls.env, cls.microsoft)
        cls.user = new_test_user(
            cls.env,
            login="alice_ms",
            email=cls.email,
            tz="Europe/Brussels",
            groups="base.group_user",
        )
        cls.now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, second=0, minute=0)

    def setUp(self):
        super().setUp()
        self.microsoft.reset()
        self.microsoft.auto_approve = True
        self.microsoft.add_account(self.email, "Alice", time_zone="Romance Standard Time")
        self.account = self.connect(self.user)

    def remote_title(self, remote_id):
        return self.microsoft.get_event(self.email, remote_id)["subject"]

    def set_remote_title(self, remote_id, title):
        self.microsoft.patch_event(self.email, remote_id, {"subject": title})

    def new_remote(self, title):
        return self.remote_event(subject=title)["id"]

    def delete_remote(self, remote_id):
        self.microsoft.delete_event(self.email, remote_id)

    def remote_titles(self):
        return sorted(item["subject"] for item in self.microsoft.events(self.email))

    def revoke_grant(self):
        self.microsoft.revoke_sessions(self.email)
        self.microsoft.expire_access_tokens(self.email)

    def connect(self, user, login_hint=None):
        """Consent as ``user`` through msal against the emulator, as the OAuth routes do
        (``login_hint``: the Microsoft account to sign in with, else the emulator's first)."""
        accounts = self.env["calendar.sync.account"].with_user(user)
        flow = accounts._microsoft_start_flow()
        hint = {"login_hint": login_hint} if login_hint else {}
        answer = requests.get(flow["auth_uri"], params=hint, allow_redirects=False, timeout=10)
        query = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
        return accounts._microsoft_connect(flow, query).sudo()

    def remote_event(self, hours_from_now=24, duration=1, **body):
        start = self.now + dt.timedelta(hours=hours_from_now)
        stop = start + dt.timedelta(hours=duration)
        return self.microsoft.insert_event(
            self.email,
            {
                "subject": "Remote meeting",
                "start": graph_time(start),
                "end": graph_time(stop),
                **body,
            },
        )
