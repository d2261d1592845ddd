import json
import time

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.common import ACCOUNT_LOGGER

from .common import MicrosoftSyncCase


@tagged("post_install", "-at_install")
class TestMicrosoftCronBudget(MicrosoftSyncCase):
    @mute_logger(ACCOUNT_LOGGER)  # the failed sync's WARNING line
    def test_slow_outlook_account_is_stopped_within_its_budget(self):
        """Graph answers slowly: the scheduled run stops the account at its budget and marks
        it; once Graph is fast again the next run pulls the event, once."""
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        self.remote_event(subject="Outlook meeting")
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("calendar_sync.cron_time_budget", "6")
        params.set_param("calendar_sync.account_time_budget", "2")
        # The consent left an access token in the msal cache: every Graph request carries it.
        cached = json.loads(self.account.token_cache)["AccessToken"].values()
        slow = self.microsoft.faults.add(
            latency=4,
            times=None,
            request_headers={"Authorization": f"Bearer {next(iter(cached))['secret']}"},
        )
        started = time.monotonic()
        self.env["calendar.sync.account"]._cron_sync("microsoft")
        self.assertLess(time.monotonic() - started, 4, "stopped before Graph answered")
        self.env.invalidate_all()
        self.assertEqual(self.account.state, "connected", "slowness is temporary")
        self.assertIn("answered too slowly", self.account.last_error)
        self.assertFalse(self.env["calendar.event"].search([("name", "=", "Outlook meeting")]))

        self.microsoft.faults.remove(slow)
        # The next scheduled run, an interval later (the account's turn has come again).
        self.account.last_attempt_date = fields.Datetime.subtract(fields.Datetime.now(), minutes=5)
        self.env["calendar.sync.account"]._cron_sync("microsoft")
        self.env.invalidate_all()
        self.assertEqual(self.account.state, "connected")
        self.assertEqual(
            self.env["calendar.event"].search_count([("name", "=", "Outlook meeting")]), 1
        )
