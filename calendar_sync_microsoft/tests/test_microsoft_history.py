from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.common import HistoryCaseMixin

from .common import MicrosoftSyncCase


@tagged("post_install", "-at_install")
class TestMicrosoftHistory(HistoryCaseMixin, MicrosoftSyncCase):
    provider_label = "Outlook"
