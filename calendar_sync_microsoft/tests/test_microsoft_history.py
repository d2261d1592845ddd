from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_history import HistoryContract

from .common import MicrosoftSyncCase


@tagged("post_install", "-at_install")
class TestMicrosoftHistory(HistoryContract, MicrosoftSyncCase):
    """The history contract every provider passes."""
