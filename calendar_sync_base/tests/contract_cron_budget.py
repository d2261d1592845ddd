"""Contract suite: a provider that answers too slowly is stopped at the account's time
budget by the scheduled action, and the next run does what was left, once."""

import time

from odoo import fields
from odoo.tools import mute_logger

from .common import ACCOUNT_LOGGER


class CronBudgetContract:
    """Through the ``SyncCaseMixin`` adapter and ``make_slow()`` (every request of the
    account is answered after longer than any budget here; returns a handle) /
    ``make_fast(handle)``."""

    allow_inherited_tests_method = True  # Odoo's loader runs only a class's own tests else

    def setUp(self):
        super().setUp()
        # The cron gives each account its own cursors; in tests they share this transaction.
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)

    def make_slow(self):
        raise NotImplementedError

    def make_fast(self, handle):
        raise NotImplementedError

    def pulled(self, title):
        return self.env["calendar.event"].search_count([("name", "=", title)])

    @mute_logger(ACCOUNT_LOGGER)  # the failed sync's WARNING line
    def test_slow_account_is_stopped_within_its_budget_then_synced_once(self):
        self.new_remote("Slow meeting")
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("calendar_sync.cron_time_budget", "6")
        params.set_param("calendar_sync.account_time_budget", "2")
        slow = self.make_slow()
        started = time.monotonic()
        self.env["calendar.sync.account"]._cron_sync(self.account.provider)
        self.assertLess(time.monotonic() - started, 4, "stopped before the provider answered")
        self.env.invalidate_all()
        self.assertEqual(self.account.state, "connected", "slowness is temporary")
        self.assertIn("answered too slowly", self.account.last_error)
        self.assertFalse(self.pulled("Slow meeting"))

        self.make_fast(slow)
        # The next scheduled run, an interval later (the account's turn has come again).
        self.account.last_attempt_date = fields.Datetime.subtract(fields.Datetime.now(), minutes=5)
        self.env["calendar.sync.account"]._cron_sync(self.account.provider)
        self.env.invalidate_all()
        self.assertEqual(self.account.state, "connected")
        self.assertFalse(self.account.last_error)
        self.assertEqual(self.pulled("Slow meeting"), 1)
