from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_problems import ProblemsContract

from .common import MicrosoftSyncCase


@tagged("post_install", "-at_install")
class TestMicrosoftProblems(ProblemsContract, MicrosoftSyncCase):
    """The problems contract every provider passes."""
