from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_problems import ProblemsContract

from .common import GoogleSyncCase


@tagged("post_install", "-at_install")
class TestGoogleProblems(ProblemsContract, GoogleSyncCase):
    """The problems contract every provider passes."""
