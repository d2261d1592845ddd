import datetime as dt

from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_honest import HonestStateContract

from .common import MicrosoftSyncCase


@tagged("post_install", "-at_install")
class TestMicrosoftHonestState(HonestStateContract, MicrosoftSyncCase):
    def test_series_capped_by_odoo_is_reported(self):
        day = (self.now + dt.timedelta(days=1)).date().isoformat()
        zone = "Romance Standard Time"
        master = self.microsoft.insert_event(
            self.email,
            {
                "subject": "Every day, forever",
                "start": {"dateTime": f"{day}T09:00:00", "timeZone": zone},
                "end": {"dateTime": f"{day}T09:30:00", "timeZone": zone},
                "recurrence": {
                    "pattern": {"type": "daily", "interval": 1},
                    "range": {"type": "noEnd", "startDate": day, "recurrenceTimeZone": zone},
                },
            },
        )
        counts = self.sync()
        self.assertEqual(counts.warnings, 1)
        self.assertEqual(len(self.linked(master["id"]).calendar_event_ids), 720)
        warning = self.env["calendar.sync.log"].search(
            [("account_id", "=", self.account.id), ("operation", "=", "warning")]
        )
        self.assertIn("720", warning.message)
