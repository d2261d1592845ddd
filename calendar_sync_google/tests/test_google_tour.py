import datetime as dt
import threading
import time

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.bus.models.bus import channel_with_db, dispatch, hashable
from odoo.addons.bus.tests.common import WebsocketCase
from odoo.addons.calendar_sync_base.tests.common import ACCOUNT_LOGGER

from .common import point_odoo_at, start_emulator


@tagged("post_install", "-at_install")
class TestGoogleTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.google = start_emulator(cls)
        point_odoo_at(cls.env, cls.google)
        cls.user = new_test_user(
            cls.env, login="tour_user", email="tour@example.com", groups="base.group_user"
        )

    def test_google_button_syncs_and_reports(self):
        self.google.add_account("tour@example.com")
        access, refresh = self.google.issue_tokens("tour@example.com")
        self.env["calendar.sync.account"].create(
            {
                "user_id": self.user.id,
                "provider": "google",
                "state": "connected",
                "refresh_token": refresh,
                "access_token": access,
                "first_sync_done": True,
                "queue_existing": False,
            }
        )
        self.env["calendar.event"].with_user(self.user).create(
            {
                "name": "Pushed by the tour",
                "start": "2030-01-07 09:00:00",
                "stop": "2030-01-07 10:00:00",
            }
        )
        self.start_tour("/odoo/calendar", "calendar_sync_google_tour", login="tour_user")
        pushed = [event["summary"] for event in self.google.events("tour@example.com")]
        self.assertEqual(pushed, ["Pushed by the tour"])

    def test_history_deleted_entry_revert_and_conflict_in_the_browser(self):
        # first_sync_done: one history entry per event, not a first sync's summary.
        user, account = self.connected_user("history_user")
        email = user.email
        doomed, budget, contested = (
            self.google.insert_event(
                email,
                {
                    "summary": title,
                    "start": {"dateTime": f"2030-01-0{day}T09:00:00Z"},
                    "end": {"dateTime": f"2030-01-0{day}T10:00:00Z"},
                },
            )["id"]
            for day, title in ((7, "Doomed meeting"), (8, "Budget"), (9, "Contested"))
        )

        def sync():
            self.assertTrue(account._sync_try_lock())
            self.assertIsNotNone(account._sync_guarded())

        def linked(remote_id):
            return self.env["calendar.sync.link"].search([("remote_id", "=", remote_id)]).event_id

        self.env["ir.config_parameter"].set_param("calendar_sync.conflict_policy", "remote")
        sync()
        linked(doomed).unlink()
        self.google.patch_event(email, budget, {"summary": "Budget cut"})
        self.google.patch_event(email, contested, {"summary": "Contested (remote)"})
        linked(contested).with_user(user).write({"name": "Contested (Odoo)"})
        sync()
        self.start_tour(
            "/odoo/action-calendar_sync_base.calendar_sync_log_action",
            "calendar_sync_history_tour",
            login="history_user",
        )
        self.assertEqual(linked(budget).name, "Budget", "reverted through the dialog")

    def connected_user(self, login):
        email = f"{login}@example.com"
        self.google.add_account(email)
        access, refresh = self.google.issue_tokens(email)
        user = new_test_user(self.env, login=login, email=email, groups="base.group_user")
        account = self.env["calendar.sync.account"].create(
            {
                "user_id": user.id,
                "provider": "google",
                "state": "connected",
                "refresh_token": refresh,
                "access_token": access,
                "first_sync_done": True,
                "queue_existing": False,
            }
        )
        return user, account

    def test_admin_copies_the_redirect_uri(self):
        self.start_tour(
            "/odoo/action-calendar.calendar_settings_action",
            "calendar_sync_setup_tour",
            login="admin",
        )

    def test_backlog_is_shown_and_drains(self):
        user, account = self.connected_user("backlog_user")
        self.env["ir.config_parameter"].set_param("calendar_sync.batch_size", 1)
        for day in (7, 8, 9):
            self.env["calendar.event"].with_user(user).create(
                {
                    "name": f"Backlog {day}",
                    "start": f"2030-01-0{day} 09:00:00",
                    "stop": f"2030-01-0{day} 10:00:00",
                }
            )
        # The first sync takes long enough to be seen running.
        self.google.faults.add(latency=2, method="GET", path_regex="/events$")
        self.start_tour("/odoo/calendar", "calendar_sync_backlog_tour", login="backlog_user")
        self.assertEqual(len(self.google.events("backlog_user@example.com")), 3)
        self.assertEqual((account.queued_count, account.state), (0, "connected"))

    def test_revoked_grant_is_explained_and_fixed_by_reconnecting(self):
        self.google.reset()  # the consent page signs in as the only Google account
        _user, account = self.connected_user("revoked_user")
        self.google.revoke(account.refresh_token)
        account.access_token = False
        with mute_logger(ACCOUNT_LOGGER):
            self.assertTrue(account._sync_try_lock())
            account._sync_guarded()
        self.assertEqual(account.state, "needs_reconnect")
        self.google.auto_approve = True
        self.start_tour("/odoo/calendar", "calendar_sync_reconnect_tour", login="revoked_user")
        self.assertEqual(account.state, "connected")
        self.assertEqual(account.remote_email, "revoked_user@example.com")

    def test_plain_user_reads_their_own_history_from_the_menu(self):
        _user, account = self.connected_user("reader_user")
        account.first_sync_done = False
        email = "reader_user@example.com"
        budget, _lunch = (
            self.google.insert_event(
                email,
                {
                    "summary": title,
                    "start": {"dateTime": f"2030-01-0{day}T09:00:00Z"},
                    "end": {"dateTime": f"2030-01-0{day}T10:00:00Z"},
                },
            )["id"]
            for day, title in ((7, "Budget"), (8, "Lunch"))
        )
        for _run in range(2):
            self.assertTrue(account._sync_try_lock())
            self.assertIsNotNone(account._sync_guarded())
            self.google.patch_event(email, budget, {"summary": "Budget cut"})
        self.start_tour("/odoo/calendar", "calendar_sync_my_history_tour", login="reader_user")


@tagged("post_install", "-at_install")
class TestGoogleFirstSyncTour(WebsocketCase):
    """The first sync runs after the OAuth redirect, in the scheduled action, and its
    completion notification reaches the user's open Calendar over the bus (websockets are
    on for this case, as in production)."""

    email = "first_sync@example.com"

    def test_connecting_shows_the_first_sync_counts_when_the_background_sync_is_over(self):
        self.google = start_emulator(self)
        point_odoo_at(self.env, self.google)
        self.user = new_test_user(self.env, login="first_sync_user", email=self.email)
        self.google.add_account(self.email)
        self.google.auto_approve = True
        soon = fields.Datetime.now().replace(microsecond=0) + dt.timedelta(days=1)
        for title in ("From Google 1", "From Google 2"):
            self.google.insert_event(
                self.email,
                {
                    "summary": title,
                    "start": {"dateTime": soon.strftime("%Y-%m-%dT%H:%M:%SZ")},
                    "end": {"dateTime": soon.strftime("%Y-%m-%dT%H:59:00Z")},
                },
            )
        self.env["calendar.event"].with_user(self.user).create(
            {"name": "From Odoo", "start": soon, "stop": soon + dt.timedelta(hours=1)}
        )
        # Read here: the thread must not use the test cursor outside its turn.
        self.partner = self.user.partner_id
        first_sync = threading.Thread(target=self.run_first_sync_once_connected)
        first_sync.start()
        try:
            self.start_tour(
                "/odoo/calendar", "calendar_sync_first_sync_tour", login=self.user.login
            )
        finally:
            first_sync.join()
        self.assertEqual(self.first_sync_outcome, "synced in the background")
        self.assertEqual(
            sorted(event["summary"] for event in self.google.events(self.email)),
            ["From Google 1", "From Google 2", "From Odoo"],
        )

    def run_first_sync_once_connected(self):
        """The cron worker: waits for the connection the redirect stores (it syncs
        nothing itself) and for Calendar, opened again by the redirect, to listen to the bus;
        runs the provider's scheduled action and has the bus deliver what it sent at once
        (PostgreSQL's NOTIFY never fires in a test transaction)."""
        self.first_sync_outcome = "never connected"
        before_redirect = set()  # websockets of the page that went to Google's consent
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            listening = self.websockets_of(self.partner)
            with self.registry.cursor() as cr:  # the test transaction, taken in turn
                env = api.Environment(cr, SUPERUSER_ID, {})
                account = env["calendar.sync.account"].search([("user_id", "=", self.user.id)])
                if account.state != "connected":
                    before_redirect |= listening
                elif listening - before_redirect:
                    if account.first_sync_done:
                        self.first_sync_outcome = "synced in the redirect"
                        return
                    env["calendar.sync.account"]._cron_sync("google")
                    self.first_sync_outcome = "synced in the background"
                    self.trigger_notification_dispatching([self.partner])
                    return
            time.sleep(0.2)

    def websockets_of(self, partner):
        channel = hashable(channel_with_db(self.registry.db_name, partner))
        return set(dispatch._channels_to_ws.get(channel, ()))
