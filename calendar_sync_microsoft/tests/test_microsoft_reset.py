from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_reset import ResetContract

from .common import MicrosoftSyncCase


@tagged("post_install", "-at_install")
class TestMicrosoftReset(ResetContract, MicrosoftSyncCase):
    """The reset contract every provider passes."""
