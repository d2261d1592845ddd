from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_paged_pull import PagedPullContract

from .common import GoogleSyncCase


@tagged("post_install", "-at_install")
class TestGooglePagedPull(PagedPullContract, GoogleSyncCase):
    """The paged pull contract every provider passes."""
