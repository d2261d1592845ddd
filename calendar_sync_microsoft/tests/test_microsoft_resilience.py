import re

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.common import ACCOUNT_LOGGER, forget_saved_credentials

from calendar_sync_base.services.errors import AuthExpired
from calendar_sync_microsoft.services.msal_auth import MsalTokenProvider, load_cache

from .common import MicrosoftSyncCase
from .test_microsoft_recurrence import series_body


@tagged("post_install", "-at_install")
class TestMicrosoftResilience(MicrosoftSyncCase):
    """Odd remote events and transient failures never block a sync or lose a change."""

    def outage_of(self, remote_id):
        """Graph answers 503 to every request about ``remote_id``, retries included."""
        return self.microsoft.faults.add(
            status=503, retry_after=0, times=None, path_regex=re.escape(remote_id)
        )

    def test_a_nul_character_in_a_subject_is_dropped_not_fatal(self):
        poison = self.remote_event(subject="Budget\x00 review")
        good = self.remote_event(hours_from_now=30, subject="Good meeting")
        counts = self.sync()
        self.assertEqual(counts.errors, 0)
        self.assertEqual(self.linked(poison["id"]).name, "Budget review")
        self.assertEqual(self.linked(good["id"]).name, "Good meeting")
        local = self.odoo_event("Made in Odoo")
        self.sync()
        self.assertEqual(self.remote_title(local.sudo().sync_link_ids.remote_id), "Made in Odoo")

    def test_a_deletion_that_cannot_be_confirmed_reaches_odoo_on_the_next_run(self):
        remote = self.remote_event(subject="Cancelled trip")
        self.sync()
        event = self.linked(remote["id"])
        cursor = self.account.sync_cursor
        self.microsoft.delete_event(self.email, remote["id"])
        outage = self.outage_of(remote["id"])
        self.sync()
        self.assertTrue(event.active, "not confirmed: not applied yet")
        self.assertEqual(self.account.sync_cursor, cursor, "the same changes are read again")
        self.microsoft.faults.remove(outage)
        self.sync()
        self.assertFalse(event.active)
        self.assertNotEqual(self.account.sync_cursor, cursor)

    def test_a_series_renamed_while_its_master_cannot_be_read(self):
        master = self.microsoft.insert_event(self.email, series_body("daily"))
        self.sync()
        recurrence = self.linked(master["id"])
        self.microsoft.patch_event(self.email, master["id"], {"subject": "Renamed series"})
        outage = self.outage_of(master["id"])
        self.sync()
        self.assertEqual(recurrence.base_event_id.name, "Series daily")
        self.microsoft.faults.remove(outage)
        self.sync()
        recurrence = self.linked(master["id"])
        self.assertEqual(set(recurrence.calendar_event_ids.mapped("name")), {"Renamed series"})
        series = self.env["calendar.event"].search([("name", "=", "Renamed series")])
        self.assertEqual(len(series), 3, "renamed, not duplicated")

    @mute_logger(ACCOUNT_LOGGER)  # the failed sync's WARNING line
    def test_a_rotated_refresh_token_survives_the_loss_of_the_sync_transaction(self):
        self.addCleanup(forget_saved_credentials, self.account)
        self.microsoft.revoke_rotated_refresh_tokens = True  # the old one dies at each refresh
        self.microsoft.expire_access_tokens(self.email)
        remote = self.remote_event(subject="After the crash")
        before = self.account.token_cache
        # The first listing gets a 401 and refreshes; the listing then fails, and the sync's
        # work is rolled back.
        outage = self.microsoft.faults.add(status=403, times=None, nth=2, path_regex="delta")
        self.assertIsNone(self.sync(expect_ok=False))
        self.assertEqual(self.account.token_cache, before, "rolled back")
        old = self.account._microsoft_app(load_cache(before))
        with self.assertRaises(AuthExpired):
            MsalTokenProvider(old, self.account.microsoft_home_account_id)(force_refresh=True)
        self.microsoft.faults.remove(outage)
        self.sync()
        self.assertEqual(self.account.state, "connected")
        self.assertTrue(self.linked(remote["id"]))
        self.assertNotEqual(self.account.token_cache, before)
