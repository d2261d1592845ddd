import datetime as dt

from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_round_trip import RoundTripContract

from .common import TOKYO_EVENT, GoogleSyncCase


@tagged("post_install", "-at_install")
class TestGoogleRoundTrip(RoundTripContract, GoogleSyncCase):
    """An Odoo edit changes on Google exactly what it changed in Odoo, nothing else."""

    def pull(self, body):
        remote = self.google.insert_event(self.email, body)
        self.sync()
        return remote["id"], self.linked(remote["id"])

    def test_moved_event_keeps_its_own_time_zone(self):
        remote_id, event = self.pull(TOKYO_EVENT)
        event.with_user(self.user).write(
            {
                "start": event.start + dt.timedelta(hours=1),
                "stop": event.stop + dt.timedelta(hours=1),
            }
        )
        self.sync()
        after = self.google.get_event(self.email, remote_id)
        self.assertEqual(
            after["start"], {"dateTime": "2027-02-10T19:00:00+09:00", "timeZone": "Asia/Tokyo"}
        )
        self.assertEqual(after["reminders"], {"useDefault": True})

    def test_series_rename_is_one_patch_of_its_master(self):
        series = {
            "summary": "Weekly sync",
            "start": {"dateTime": "2027-03-01T09:00:00", "timeZone": "Europe/Brussels"},
            "end": {"dateTime": "2027-03-01T09:30:00", "timeZone": "Europe/Brussels"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=8;BYDAY=MO"],
        }
        master_id, recurrence = self.pull(series)
        self.assertEqual(len(recurrence.calendar_event_ids), 8)
        occurrence = recurrence.calendar_event_ids.sorted("start")[2]
        occurrence.with_user(self.user).write(
            {"name": "Weekly sync (renamed)", "recurrence_update": "all_events"}
        )
        self.google.requests.clear()
        counts = self.sync()
        patches = self.google.requests.filter(method="PATCH", in_batch=True)
        self.assertEqual([patch.path.rsplit("/", 1)[1] for patch in patches], [master_id])
        self.assertEqual(patches[0].json(), {"summary": "Weekly sync (renamed)"})
        self.assertEqual((counts.pushed_updated, counts.errors), (1, 0))
        instances = self.google.instances(self.email, master_id)
        self.assertEqual({i["summary"] for i in instances}, {"Weekly sync (renamed)"})
        self.assertEqual(len(recurrence.exists().calendar_event_ids), 8)
