from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.common import PagedPullCases

from .common import MicrosoftSyncCase


@tagged("post_install", "-at_install")
class TestMicrosoftPagedPull(PagedPullCases, MicrosoftSyncCase):
    listing_path = r"/calendarView/delta"

    @property
    def emulator(self):
        return self.microsoft

    def resumed(self, request):
        return bool(request.arg("$skiptoken"))
