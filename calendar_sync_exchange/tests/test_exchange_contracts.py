"""The provider contract suites (``calendar_sync_base/tests/contract_*.py``) run by Exchange
Server against the EWS emulator, through the adapter of ``ExchangeSyncCase``."""

from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_history import HistoryContract
from odoo.addons.calendar_sync_base.tests.contract_honest import HonestStateContract
from odoo.addons.calendar_sync_base.tests.contract_paged_pull import PagedPullContract
from odoo.addons.calendar_sync_base.tests.contract_problems import ProblemsContract
from odoo.addons.calendar_sync_base.tests.contract_recurrence import RecurrenceContract
from odoo.addons.calendar_sync_base.tests.contract_reset import ResetContract
from odoo.addons.calendar_sync_base.tests.contract_round_trip import RoundTripContract
from odoo.addons.calendar_sync_base.tests.contract_sync import SyncContract

from .common import ExchangeSyncCase


@tagged("post_install", "-at_install")
class TestExchangeHistory(HistoryContract, ExchangeSyncCase):
    pass


@tagged("post_install", "-at_install")
class TestExchangeRecurrence(RecurrenceContract, ExchangeSyncCase):
    pass


@tagged("post_install", "-at_install")
class TestExchangePagedPull(PagedPullContract, ExchangeSyncCase):
    @property
    def emulator(self):
        return self.ews


@tagged("post_install", "-at_install")
class TestExchangeContractSync(SyncContract, ExchangeSyncCase):
    pass


@tagged("post_install", "-at_install")
class TestExchangeReset(ResetContract, ExchangeSyncCase):
    pass


@tagged("post_install", "-at_install")
class TestExchangeRoundTrip(RoundTripContract, ExchangeSyncCase):
    pass


@tagged("post_install", "-at_install")
class TestExchangeProblems(ProblemsContract, ExchangeSyncCase):
    pass


@tagged("post_install", "-at_install")
class TestExchangeHonestState(HonestStateContract, ExchangeSyncCase):
    pass
