from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.common import PagedPullCases

from .common import GoogleSyncCase


@tagged("post_install", "-at_install")
class TestGooglePagedPull(PagedPullCases, GoogleSyncCase):
    listing_path = r"/events$"

    @property
    def emulator(self):
        return self.google

    def resumed(self, request):
        return bool(request.arg("pageToken"))
