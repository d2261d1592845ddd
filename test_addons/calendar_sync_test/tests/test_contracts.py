"""The provider contract suites of the base (``calendar_sync_base/tests/contract_*.py``),
run by the fake provider through the adapter of ``FakeSyncCase``; the Sync Console's is in
test_fake_provider.py. Two do not apply, and the fake says so by its capabilities: the OAuth
ones (``_sync_connect_kind`` is "admin_credentials": no consent, no OAuth client) and push
notifications (``_sync_push_notifications`` is False: its accounts are polled)."""

from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_cron_budget import CronBudgetContract
from odoo.addons.calendar_sync_base.tests.contract_history import HistoryContract
from odoo.addons.calendar_sync_base.tests.contract_honest import HonestStateContract
from odoo.addons.calendar_sync_base.tests.contract_paged_pull import PagedPullContract
from odoo.addons.calendar_sync_base.tests.contract_problems import ProblemsContract
from odoo.addons.calendar_sync_base.tests.contract_recurrence import RecurrenceContract
from odoo.addons.calendar_sync_base.tests.contract_reset import ResetContract
from odoo.addons.calendar_sync_base.tests.contract_round_trip import RoundTripContract
from odoo.addons.calendar_sync_base.tests.contract_sync import SyncContract

from .common import FakeSyncCase


@tagged("post_install", "-at_install")
class TestFakeSync(SyncContract, FakeSyncCase):
    pass


@tagged("post_install", "-at_install")
class TestFakeRecurrence(RecurrenceContract, FakeSyncCase):
    pass


@tagged("post_install", "-at_install")
class TestFakeReset(ResetContract, FakeSyncCase):
    pass


@tagged("post_install", "-at_install")
class TestFakeRoundTrip(RoundTripContract, FakeSyncCase):
    pass


@tagged("post_install", "-at_install")
class TestFakeHistory(HistoryContract, FakeSyncCase):
    pass


@tagged("post_install", "-at_install")
class TestFakeProblems(ProblemsContract, FakeSyncCase):
    pass


@tagged("post_install", "-at_install")
class TestFakeHonestState(HonestStateContract, FakeSyncCase):
    pass


@tagged("post_install", "-at_install")
class TestFakePagedPull(PagedPullContract, FakeSyncCase):
    pass


@tagged("post_install", "-at_install")
class TestFakeCronBudget(CronBudgetContract, FakeSyncCase):
    def make_slow(self):
        self.remote.latency = 4.0
        return self.remote

    def make_fast(self, handle):
        handle.latency = 0.0
