from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_reset import ResetContract

from .common import GoogleSyncCase


@tagged("post_install", "-at_install")
class TestGoogleReset(ResetContract, GoogleSyncCase):
    """The reset contract every provider passes."""
