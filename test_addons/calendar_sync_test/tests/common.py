import datetime as dt

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.calendar_sync_base.tests.common import SyncCaseMixin

from calendar_sync_base.services.model import SyncEvent
from calendar_sync_test.services.fake_calendar import SERVER

PROVIDER = "fake"


def point_odoo_at_the_fake_server(env):
    params = env["ir.config_parameter"].sudo()
    params.set_param("calendar_sync_fake.enabled", "True")
    params.set_param("calendar_sync_fake.server", "fake.example.com")


class FakeSyncCase(SyncCaseMixin, TransactionCase):
    """A user connected to the in-memory fake calendar, synced on demand: the remote
    helpers every provider's test case gives (see ``SyncCaseMixin``)."""

    provider = PROVIDER
    provider_label = "Fake Calendar"
    email = "alice@example.com"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        point_odoo_at_the_fake_server(cls.env)
        cls.user = new_test_user(cls.env, login="alice_fake", email=cls.email, tz="Europe/Brussels")
        cls.now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, second=0, minute=0)

    def setUp(self):
        super().setUp()
        SERVER.reset()
        self.addCleanup(SERVER.reset)
        self.remote = SERVER.calendar(self.email)
        self.account = self.connect(self.user)

    def connect(self, user):
        return self.env["calendar.sync.account"].create(
            {
                "user_id": user.id,
                "provider": PROVIDER,
                "state": "connected",
                "remote_email": user.email,
            }
        )

    # ------------------------------------------------------------------ remote helpers

    def new_remote(self, title, hours_from_now=24):
        start = self.now + dt.timedelta(hours=hours_from_now)
        event = SyncEvent(
            title=title,
            start=start,
            stop=start + dt.timedelta(hours=1),
            organizer_email=self.email,
        )
        return self.remote.insert(event).remote_id

    def remote_title(self, remote_id):
        return self.remote.events[remote_id].title

    def set_remote_title(self, remote_id, title):
        self.remote.patch(remote_id, title=title)

    def delete_remote(self, remote_id):
        self.remote.delete(remote_id)

    def remote_exists(self, remote_id):
        return any(event.remote_id == remote_id for event in self.remote.live())

    def remote_titles(self):
        return sorted(event.title for event in self.remote.live())

    def revoke_grant(self):
        self.remote.revoked = True
