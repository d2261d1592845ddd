import datetime as dt
import json
import time
from contextlib import contextmanager
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, new_test_user, tagged
from odoo.tests.common import get_db_name
from odoo.tools import SQL

from calendar_sync_base.services.http import ResilientSession

from .common import GoogleSyncCase, google_params, google_time, point_odoo_at, start_emulator

WOKEN_KEY = "calendar_sync.woken_providers"


@tagged("post_install", "-at_install")
class TestGooglePushTrigger(GoogleSyncCase):
    """A change made in Odoo wakes the Google cron at commit instead of waiting 5 minutes."""

    def setUp(self):
        super().setUp()
        self.cron = self.env.ref("calendar_sync_google.calendar_sync_google_cron_sync")
        self.sync()  # the first sync is done: from now on, changes queue pushes one by one
        self.new_transaction()

    def new_transaction(self):
        # Tests never commit: forget what this transaction already woke, as a commit would.
        self.env.cr.precommit.data.pop(WOKEN_KEY, None)

    def triggers(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])

    def enter_cron_mode(self):
        # The cron gives each account its own cursor; in tests they must share this transaction.
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)

    def test_local_changes_wake_the_cron_once_per_transaction(self):
        before = self.triggers()
        for hours in (24, 48, 72):
            self.odoo_event(f"Meeting in {hours} hours", hours_from_now=hours)
        self.assertTrue(self.account.sync_requested)
        self.assertEqual(self.triggers(), before + 1)

        self.sync()
        self.assertFalse(self.account.sync_requested)
        self.new_transaction()
        event = self.env["calendar.event"].search([("name", "=", "Meeting in 24 hours")])
        event.with_user(self.user).write({"name": "Renamed"})
        self.assertTrue(self.account.sync_requested)
        self.assertEqual(self.triggers(), before + 2)

    def test_deleting_a_synced_event_wakes_the_cron(self):
        event = self.odoo_event("To delete")
        self.sync()
        self.new_transaction()
        before = self.triggers()
        event.with_user(self.user).unlink()
        self.assertTrue(self.account.sync_requested)
        self.assertEqual(self.triggers(), before + 1)

    def test_pulled_changes_do_not_wake_the_cron(self):
        self.remote_event(summary="From Google")
        before = self.triggers()
        self.sync()
        self.assertTrue(self.env["calendar.event"].search([("name", "=", "From Google")]))
        self.assertEqual(self.triggers(), before)
        self.assertFalse(self.account.sync_requested)

    def test_a_woken_run_syncs_the_requesting_account_and_those_due(self):
        self.enter_cron_mode()
        bob = new_test_user(self.env, login="bob_trigger", email="bob@example.com")
        self.google.add_account("bob@example.com")
        _access, bob_refresh = self.google.issue_tokens("bob@example.com")
        bob_account = self.connect(bob, bob_refresh)
        attempted_at = fields.Datetime.now() - dt.timedelta(minutes=1)
        bob_account.write({"first_sync_done": True, "queue_existing": False})
        (self.account | bob_account).last_attempt_date = attempted_at
        start = self.now + dt.timedelta(hours=3)
        self.google.insert_event(
            "bob@example.com",
            {"summary": "Bob's", "start": google_time(start),
             "end": google_time(start + dt.timedelta(hours=1))},
        )  # fmt: skip
        self.odoo_event("Alice's change")

        self.env["calendar.sync.account"]._cron_sync("google")
        self.env.invalidate_all()
        self.assertEqual(len(self.google.events(self.email)), 1)
        self.assertEqual(bob_account.last_attempt_date, attempted_at, "Bob's turn has not come")
        self.assertFalse(self.env["calendar.event"].search([("name", "=", "Bob's")]))

        bob_account.last_attempt_date = fields.Datetime.now() - dt.timedelta(minutes=5)
        self.env["calendar.sync.account"]._cron_sync("google")
        self.assertTrue(self.env["calendar.event"].search([("name", "=", "Bob's")]))

    def test_a_backlog_keeps_the_cron_awake_until_it_is_drained(self):
        self.env["ir.config_parameter"].set_param("calendar_sync.batch_size", 2)
        for hours in range(24, 29):
            self.odoo_event(f"Backlog {hours}", hours_from_now=hours)
        runs = 0
        while runs == 0 or self.account.sync_requested:
            self.new_transaction()
            before = self.triggers()
            self.sync()
            runs += 1
            self.assertEqual(self.triggers(), before + int(self.account.sync_requested))
        self.assertEqual((runs, len(self.google.events(self.email))), (3, 5))

    def test_a_push_that_only_fails_waits_for_the_schedule(self):
        self.env["ir.config_parameter"].set_param("calendar_sync.batch_size", 1)
        self.odoo_event("Provider down", hours_from_now=24)
        self.odoo_event("Still down", hours_from_now=48)
        self.google.faults.add(status=503, times=None, method="POST")
        self.new_transaction()
        before = self.triggers()
        with patch.object(ResilientSession, "__init__", _init_without_sleeping):
            self.sync()
        self.assertEqual(self.account.queued_count, 1)
        self.assertFalse(self.google.events(self.email))
        self.assertFalse(self.account.sync_requested)
        self.assertEqual(self.triggers(), before)


def _init_without_sleeping(session, *args, original=ResilientSession.__init__, **kwargs):
    # The retries of a 503 back off for real seconds; the test needs their outcome only.
    original(session, *args, **{**kwargs, "sleep": lambda _seconds: None})


@tagged("post_install", "-at_install")
class TestGooglePullOnOpen(GoogleSyncCase):
    """Opening Calendar pulls in the background; the open views hear about new data."""

    def test_opening_calendar_wakes_the_cron_when_the_last_sync_is_old(self):
        cron = self.env.ref("calendar_sync_google.calendar_sync_google_cron_sync")
        accounts = self.env["calendar.sync.account"].with_user(self.user)
        self.account.last_sync_date = fields.Datetime.now() - dt.timedelta(seconds=20)
        self.assertEqual(accounts.action_sync_on_open(), 0, "synced 20 seconds ago")
        self.assertFalse(self.account.sync_requested)

        self.account.last_sync_date = fields.Datetime.now() - dt.timedelta(minutes=2)
        before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.assertEqual(accounts.action_sync_on_open(), 1)
        self.assertTrue(self.account.sync_requested)
        after = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.assertEqual(after, before + 1)

    def test_opening_calendar_never_asks_for_another_users_connection(self):
        self.account.last_sync_date = False
        bob = new_test_user(self.env, login="bob_opens", groups="base.group_user")
        self.assertEqual(self.env["calendar.sync.account"].with_user(bob).action_sync_on_open(), 0)
        self.assertFalse(self.account.sync_requested)

    def test_a_sync_that_pulled_changes_tells_the_users_calendar(self):
        self.sync()
        self.env["bus.bus"].sudo().search([]).unlink()
        self.sync()
        self.assertFalse(self.bus_messages(), "nothing new: no reload")
        self.remote_event(summary="Arrived remotely")
        self.sync()
        [message] = self.bus_messages()
        self.assertEqual(message["payload"]["provider"], "google")

    def bus_messages(self):
        notifications = self.env["bus.bus"].sudo().search([])
        messages = [json.loads(notification.message) for notification in notifications]
        return [message for message in messages if message["type"] == "calendar_sync/synced"]


# What the runs commit beside the rows the cleanups delete through the ORM.
SIDE_EFFECT_TABLES = ("ir_cron_trigger", "bus_bus")


@tagged("post_install", "-at_install")
class TestGoogleSaveDuringSync(BaseCase):
    """A user saves while the cron syncs his account: the save does not wait for the sync's
    row lock, and the next run pushes it.

    Committed rows and real connections: row locks only exist between separate transactions
    (a test cursor would share one). Everything made here is deleted again by the cleanups.
    """

    email = "carol@example.com"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.google = start_emulator(cls)

    def setUp(self):
        super().setUp()
        self.google.reset()
        self.google.add_account(self.email)
        _access, refresh_token = self.google.issue_tokens(self.email)
        with self.committed_env() as env:
            params = env["ir.config_parameter"]
            saved = {key: params.get_param(key) for key in google_params(self.google)}
            self.addCleanup(self.restore_params, saved)
            self.addCleanup(self.delete_newer_rows, self.last_ids(env, SIDE_EFFECT_TABLES))
            point_odoo_at(env, self.google)
            self.user_id = new_test_user(env, login="carol_saves", email=self.email).id
            self.addCleanup(self.delete_user_and_events)
            self.account_id = (
                env["calendar.sync.account"]
                .create(
                    {
                        "user_id": self.user_id,
                        "provider": "google",
                        "state": "connected",
                        "refresh_token": refresh_token,
                    }
                )
                .id
            )
            self.event_id = self.new_event(env, "Planned").id
        with self.committed_env() as env:
            env["calendar.sync.account"]._cron_sync("google")  # first sync: the event is sent
        self.assertEqual(self.remote_titles(), ["Planned"])

    @contextmanager
    def committed_env(self):
        with self.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})

    def new_event(self, env, title):
        start = fields.Datetime.now().replace(microsecond=0) + dt.timedelta(days=1)
        return (
            env["calendar.event"]
            .with_user(self.user_id)
            .create({"name": title, "start": start, "stop": start + dt.timedelta(hours=1)})
        )

    def remote_titles(self):
        return sorted(item["summary"] for item in self.google.events(self.email))

    def sync_requested(self):
        with self.committed_env() as env:  # a new snapshot: sees what the last run committed
            return env["calendar.sync.account"].browse(self.account_id).sync_requested

    @staticmethod
    def last_ids(env, tables):
        last = {}
        for table in tables:
            env.cr.execute(SQL("SELECT coalesce(max(id), 0) FROM %s", SQL.identifier(table)))
            last[table] = env.cr.fetchone()[0]
        return last

    def delete_newer_rows(self, last_ids):
        """The runs' triggers and bus messages would be seen by the next tests."""
        with self.committed_env() as env:
            for table, last_id in last_ids.items():
                env.cr.execute(SQL("DELETE FROM %s WHERE id > %s", SQL.identifier(table), last_id))

    def restore_params(self, saved):
        with self.committed_env() as env:
            for key, value in saved.items():
                env["ir.config_parameter"].set_param(key, value)

    def delete_user_and_events(self):
        with self.committed_env() as env:
            env["calendar.sync.account"].search([("user_id", "=", self.user_id)]).unlink()
            user = env["res.users"].browse(self.user_id)
            env["calendar.event"].search([("user_id", "=", user.id)]).unlink()
            partner = user.partner_id
            user.unlink()
            partner.unlink()

    def test_a_save_during_a_sync_returns_at_once_and_the_next_run_pushes_it(self):
        with self.registry.cursor() as sync:
            account = api.Environment(sync, SUPERUSER_ID, {})["calendar.sync.account"]
            self.assertTrue(account.browse(self.account_id)._sync_try_lock(), "sync running")
            with self.registry.cursor() as save:
                save.execute("SET LOCAL lock_timeout = '2s'")  # a regression fails, not hangs
                started = time.monotonic()
                env = api.Environment(save, SUPERUSER_ID, {})
                env["calendar.event"].with_user(self.user_id).browse(self.event_id).write(
                    {"name": "Renamed during a sync"}
                )
                self.new_event(env, "Created during a sync")
                env.flush_all()
            self.assertLess(time.monotonic() - started, 1, "committed without waiting")
            sync.rollback()  # the sync ends
        self.assertEqual(self.remote_titles(), ["Planned"], "the push is never in the save")

        self.assertTrue(self.sync_requested())
        with self.committed_env() as env:
            env["calendar.sync.account"]._cron_sync("google")
        self.assertFalse(self.sync_requested())
        self.assertEqual(self.remote_titles(), ["Created during a sync", "Renamed during a sync"])
