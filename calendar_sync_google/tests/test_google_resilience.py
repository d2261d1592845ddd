import datetime as dt

import requests

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.common import ACCOUNT_LOGGER, forget_saved_credentials

from calendar_sync_base.services.errors import AuthExpired
from calendar_sync_google.services.auth import refresh_access_token

from .common import CLIENT_ID, CLIENT_SECRET, GoogleSyncCase, google_time

RUNNER_LOGGER = "odoo.addons.calendar_sync_base.models.calendar_sync_runner"


@tagged("post_install", "-at_install")
class TestGooglePoisonEvents(GoogleSyncCase):
    """One remote event Odoo cannot take never blocks the rest of a user's sync."""

    def remote_series(self, summary, rule):
        start = google_time(self.now + dt.timedelta(hours=24)) | {"timeZone": "Europe/Brussels"}
        stop = google_time(self.now + dt.timedelta(hours=25)) | {"timeZone": "Europe/Brussels"}
        return self.google.insert_event(
            self.email, {"summary": summary, "start": start, "end": stop, "recurrence": [rule]}
        )

    def errors_logged(self):
        return self.env["calendar.sync.log"].search(
            [("account_id", "=", self.account.id), ("operation", "=", "error")]
        )

    def assert_good_events_sync_both_ways(self, good):
        self.assertEqual(self.linked(good["id"]).name, "Good meeting")
        self.assertEqual(self.account.state, "connected")
        local = self.odoo_event("Made in Odoo")
        self.sync()
        pushed = local.sudo().sync_link_ids.remote_id
        self.assertEqual(self.remote_title(pushed), "Made in Odoo")

    def test_a_nul_character_in_a_title_is_dropped_not_fatal(self):
        poison = self.remote_event(summary="Budget\x00 review")
        good = self.remote_event(hours_from_now=30, summary="Good meeting")
        self.sync()
        self.assertEqual(self.linked(poison["id"]).name, "Budget review")
        self.assertFalse(self.errors_logged())
        self.assert_good_events_sync_both_ways(good)

    def test_one_new_event_odoo_refuses_leaves_the_rest_of_its_page_created(self):
        # New events of a page are created together; the database refusing one of them
        # (here a constraint of this test's transaction) costs that one only.
        self.env.cr.execute(
            "ALTER TABLE calendar_event ADD CONSTRAINT test_poison CHECK (name != 'Poison')"
        )
        poison = self.remote_event(hours_from_now=26, summary="Poison")
        goods = [self.remote_event(hours_from_now=30 + i, summary=f"Good {i}") for i in range(3)]
        with mute_logger(RUNNER_LOGGER, "odoo.sql_db"):
            counts = self.sync()
        self.assertEqual((counts.pulled_created, counts.errors), (3, 1))
        self.assertEqual(self.errors_logged().remote_id, poison["id"])
        self.assertFalse(self.linked(poison["id"]))
        for number, good in enumerate(goods):
            self.assertEqual(self.linked(good["id"]).name, f"Good {number}")
            self.assertEqual(len(self.history(self.linked(good["id"]), "create")), 1)

    def test_a_sub_daily_rule_is_reported_once_and_syncs_once_fixed(self):
        poison = self.remote_series("Every second", "RRULE:FREQ=SECONDLY")
        good = self.remote_event(hours_from_now=30, summary="Good meeting")
        counts = self.sync()
        self.assertEqual(counts.errors, 1)
        self.assertIn("FREQ=SECONDLY is not supported", self.errors_logged().message)
        self.assertFalse(self.linked(poison["id"]))
        self.assert_good_events_sync_both_ways(good)
        self.assertEqual(self.sync().errors, 0)
        self.assertEqual(len(self.errors_logged()), 1, "reported once")
        self.google.patch_event(
            self.email, poison["id"], {"recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]}
        )
        self.sync()
        series = self.linked(poison["id"])
        self.assertEqual(len(series.calendar_event_ids), 3)

    def test_an_event_odoo_refuses_is_skipped_until_it_changes(self):
        # A valid rule Odoo's recurrences cannot hold (Odoo makes the event without a series).
        poison = self.remote_series("Fifth Monday", "RRULE:FREQ=MONTHLY;BYDAY=5MO;COUNT=2")
        good = self.remote_event(hours_from_now=30, summary="Good meeting")
        with mute_logger(RUNNER_LOGGER):
            counts = self.sync()
        self.assertEqual(counts.errors, 1)
        (error,) = self.errors_logged()
        self.assertEqual((error.remote_id, error.record_name), (poison["id"], "Fifth Monday"))
        self.assertIn("skipped until it changes remotely", error.message)
        self.assertNotIn("Traceback", error.message)
        self.assertFalse(self.linked(poison["id"]))
        self.assert_good_events_sync_both_ways(good)
        self.google.patch_event(self.email, good["id"], {"summary": "Good meeting, moved"})
        self.account.sync_cursor = False  # a full listing returns the unchanged poison too
        self.assertEqual(self.sync().errors, 0, "not tried again while unchanged")
        self.assertEqual(len(self.errors_logged()), 1)
        self.assertEqual(self.linked(good["id"]).name, "Good meeting, moved")
        self.google.patch_event(
            self.email, poison["id"], {"recurrence": ["RRULE:FREQ=DAILY;COUNT=2"]}
        )
        self.sync()
        self.assertEqual(len(self.linked(poison["id"]).calendar_event_ids), 2)
        skipped = self.env["calendar.sync.skipped.item"].search(
            [("account_id", "=", self.account.id)]
        )
        self.assertFalse(skipped, "forgotten once it applies")


@tagged("post_install", "-at_install")
class TestGoogleRotatedToken(GoogleSyncCase):
    @mute_logger(ACCOUNT_LOGGER)  # the failed sync's WARNING line
    def test_a_rotated_refresh_token_survives_the_loss_of_the_sync_transaction(self):
        self.addCleanup(forget_saved_credentials, self.account)
        self.google.rotate_refresh_tokens = True  # the old refresh token dies at each refresh
        self.account.access_token = False  # the sync starts with a refresh
        remote = self.remote_event(summary="After the crash")
        # The refresh succeeds, then the listing fails: the sync's work is rolled back.
        outage = self.google.faults.add(status=403, times=None, path_regex=r"/events$")
        self.assertIsNone(self.sync(expect_ok=False))
        self.assertEqual(self.account.refresh_token, self.refresh_token, "rolled back")
        with self.assertRaises(AuthExpired):
            refresh_access_token(
                requests.Session(),
                f"{self.google.url}/token",
                CLIENT_ID,
                CLIENT_SECRET,
                self.refresh_token,
            )
        self.google.faults.remove(outage)
        self.sync()
        self.assertEqual(self.account.state, "connected")
        self.assertTrue(self.linked(remote["id"]))
        self.assertNotEqual(self.account.refresh_token, self.refresh_token)
