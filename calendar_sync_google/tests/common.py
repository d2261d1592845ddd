import datetime as dt

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.calendar_sync_base.tests.common import SyncCaseMixin

from emulators.google import GoogleEmulator
from emulators.google.errors import error_body

__all__ = ["GoogleEmulator", "error_body"]

CLIENT_ID = "odoo-test-client.apps.googleusercontent.com"
CLIENT_SECRET = "test-secret"


def google_params(google):
    """The settings that point Odoo at the ``google`` emulator."""
    return {
        "calendar_sync_google.enabled": "True",
        "calendar_sync_google.client_id": CLIENT_ID,
        "calendar_sync_google.client_secret": CLIENT_SECRET,
        "calendar_sync_google.auth_endpoint": f"{google.url}/o/oauth2/v2/auth",
        "calendar_sync_google.token_endpoint": f"{google.url}/token",
        "calendar_sync_google.api_base": f"{google.url}/calendar/v3",
        "calendar_sync_google.batch_url": f"{google.url}/batch/calendar/v3",
    }


def point_odoo_at(env, google):
    params = env["ir.config_parameter"].sudo()
    for key, value in google_params(google).items():
        params.set_param(key, value)


def start_emulator(case_class):
    google = GoogleEmulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET).start()
    case_class.addClassCleanup(google.stop)
    return google


def google_time(moment):
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}


class GoogleSyncCase(SyncCaseMixin, TransactionCase):
    """A user with a connected Google account on the emulator, synced on demand."""

    email = "alice@example.com"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.google = start_emulator(cls)
        point_odoo_at(cls.env, cls.google)
        cls.user = new_test_user(
            cls.env, login="alice", email=cls.email, tz="Europe/Brussels", groups="base.group_user"
        )
        cls.now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, second=0, minute=0)

    def setUp(self):
        super().setUp()
        self.google.reset()
        self.google.add_account(self.email, time_zone="Europe/Brussels")
        self.access_token, self.refresh_token = self.google.issue_tokens(self.email)
        self.account = self.connect(self.user, self.refresh_token, self.access_token)

    def remote_title(self, remote_id):
        return self.google.get_event(self.email, remote_id)["summary"]

    def set_remote_title(self, remote_id, title):
        self.google.patch_event(self.email, remote_id, {"summary": title})

    def new_remote(self, title):
        return self.remote_event(summary=title)["id"]

    def delete_remote(self, remote_id):
        self.google.delete_event(self.email, remote_id)

    def remote_titles(self):
        return sorted(item["summary"] for item in self.google.events(self.email))

    def revoke_grant(self):
        self.google.revoke(self.refresh_token)
        self.account.access_token = False

    def connect(self, user, refresh_token, access_token=""):
        return self.env["calendar.sync.account"].create(
            {
                "user_id": user.id,
                "provider": "google",
                "state": "connected",
                "refresh_token": refresh_token,
                "access_token": access_token,
            }
        )

    def remote_event(self, hours_from_now=24, duration=1, **body):
        start = self.now + dt.timedelta(hours=hours_from_now)
        stop = start + dt.timedelta(hours=duration)
        return self.google.insert_event(
            self.email,
            {
                "summary": "Remote meeting",
                "start": google_time(start),
                "end": google_time(stop),
                **body,
            },
        )
