import json

from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_cron_budget import CronBudgetContract

from .common import MicrosoftSyncCase


@tagged("post_install", "-at_install")
class TestMicrosoftCronBudget(CronBudgetContract, MicrosoftSyncCase):
    def make_slow(self):
        # The consent left an access token in the msal cache: every Graph request carries it.
        cached = json.loads(self.account.token_cache)["AccessToken"].values()
        return self.microsoft.faults.add(
            latency=4,
            times=None,
            request_headers={"Authorization": f"Bearer {next(iter(cached))['secret']}"},
        )

    def make_fast(self, handle):
        self.microsoft.faults.remove(handle)
