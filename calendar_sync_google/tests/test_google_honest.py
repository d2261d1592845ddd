import datetime as dt

from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_honest import HonestStateContract

from .common import GoogleSyncCase, google_time


@tagged("post_install", "-at_install")
class TestGoogleHonestState(HonestStateContract, GoogleSyncCase):
    def warnings(self):
        return self.env["calendar.sync.log"].search(
            [("account_id", "=", self.account.id), ("operation", "=", "warning")]
        )

    def test_unknown_time_zone_is_reported(self):
        remote = self.remote_event(summary="On Mars")
        # A zone name newer than this server's zone database: the emulator's own validation
        # would refuse it, so it is written straight into its store.
        with self.google.lock:
            store = self.google.event_store(self.google._calendar(self.email, "primary"))
            store.find(remote["id"]).resource["start"]["timeZone"] = "Mars/Olympus_Mons"
        counts = self.sync()
        self.assertEqual((counts.pulled_created, counts.warnings), (1, 1))
        self.assertIn("Mars/Olympus_Mons", self.warnings().message)
        self.assertIn("On Mars", self.warnings().message)

    def test_series_capped_by_odoo_is_reported(self):
        start = self.now + dt.timedelta(hours=24)
        series = self.remote_event(
            summary="Every day, forever",
            start={**google_time(start), "timeZone": "Europe/Brussels"},
            end={**google_time(start + dt.timedelta(hours=1)), "timeZone": "Europe/Brussels"},
            recurrence=["RRULE:FREQ=DAILY"],
        )
        counts = self.sync()
        self.assertEqual(counts.warnings, 1)
        self.assertEqual(len(self.linked(series["id"]).calendar_event_ids), 720)
        self.assertIn("720", self.warnings().message)
