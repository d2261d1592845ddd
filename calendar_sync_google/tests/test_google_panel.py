from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.common import ACCOUNT_LOGGER

from calendar_sync_base.services.http import ResilientSession

from .common import GoogleSyncCase
from .test_google_push_trigger import _init_without_sleeping


@tagged("post_install", "-at_install")
class TestGoogleSidePanel(GoogleSyncCase):
    """What the Calendar side panel and its notifications tell the user."""

    def panel(self):
        entries = self.env["calendar.sync.account"].with_user(self.user).get_sync_panel_state()
        return next(entry for entry in entries if entry["provider"] == "google")

    def failed_sync(self):
        """Sync, expecting a failure logged as one WARNING line without a traceback."""
        with self.assertLogs(ACCOUNT_LOGGER, "WARNING") as logged:
            self.sync(expect_ok=False)
        self.assertEqual(len(logged.records), 1)
        self.assertIsNone(logged.records[0].exc_info)
        self.assertIn(f"account {self.account.id}", logged.output[0])
        return logged.output[0]

    def test_provider_outage_is_temporary_not_an_error(self):
        self.sync()
        outage = self.google.faults.add(status=503, times=None, path_regex="/events$")
        with patch.object(ResilientSession, "__init__", _init_without_sleeping):
            logged = self.failed_sync()
        self.assertIn("503", logged, "the technical detail is in the server log")
        self.assertEqual(self.account.state, "connected", "not a red Error")
        self.assertEqual(
            self.account.last_error,
            "The calendar service failed to answer; it will be retried on the next run.",
        )
        self.assertTrue(self.panel()["transient"])
        self.google.faults.remove(outage)
        self.sync()
        self.assertFalse(self.panel()["transient"])

    def test_revoked_grant_in_plain_words_with_the_action_to_take(self):
        self.revoke_grant()
        logged = self.failed_sync()
        self.assertIn("invalid_grant", logged, "the technical detail is in the server log")
        entry = self.panel()
        self.assertEqual(entry["state"], "needs_reconnect")
        self.assertEqual(
            entry["error"],
            "Google no longer accepts Odoo's access to your calendar (it expired or was "
            "revoked). Click Google in Calendar to reconnect; your changes are kept and "
            "synchronized then.",
        )
        self.assertFalse(entry["transient"])

    def test_waiting_pushes_show_on_the_button_and_in_the_notification(self):
        self.env["ir.config_parameter"].set_param("calendar_sync.batch_size", 2)
        self.sync()
        for hours in (24, 48, 72):
            self.odoo_event(f"Backlog {hours}", hours_from_now=hours)
        answer = self.env["calendar.sync.account"].with_user(self.user).action_sync_button("google")
        self.assertRegex(answer["notification"]["message"], r"2 pushed, .*, 1 waiting$")
        entry = self.panel()
        self.assertEqual(entry["queued_count"], 1)
        self.assertTrue(entry["summary"].endswith(", 1 waiting"))
        answer = self.env["calendar.sync.account"].with_user(self.user).action_sync_button("google")
        self.assertNotIn("waiting", answer["notification"]["message"], "drained")
        self.assertEqual(self.panel()["queued_count"], 0)

    def test_pause_says_who_paused(self):
        accounts = self.env["calendar.sync.account"].with_user(self.user)
        self.assertEqual(
            accounts.action_sync_stop("google"),
            "Google synchronization paused. Click Google to resume it.",
        )
        entry = self.panel()
        self.assertEqual((entry["state"], entry["paused_by_admin"]), ("paused", False))
        accounts.action_sync_button("google")
        self.assertEqual(self.panel()["state"], "connected", "the button resumes")

        self.account.action_pause()  # an administrator pauses the user's connection
        self.assertEqual(self.account.paused_by_id, self.env.user)
        self.assertTrue(self.panel()["paused_by_admin"])
        self.account.action_resume()
        self.env["ir.config_parameter"].set_param("calendar_sync_google.paused", "True")
        entry = self.panel()
        self.assertEqual((entry["state"], entry["paused_by_admin"]), ("paused", True))
