import datetime as dt

from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_round_trip import RoundTripContract

from .common import TOKYO_EVENT, MicrosoftSyncCase

BRUSSELS = "Romance Standard Time"


def monthly_series(subject, day, count, pattern_type="absoluteMonthly", **pattern):
    start = f"2027-01-{day:02d}"
    return {
        "subject": subject,
        "start": {"dateTime": f"{start}T09:00:00", "timeZone": BRUSSELS},
        "end": {"dateTime": f"{start}T09:30:00", "timeZone": BRUSSELS},
        "recurrence": {
            "pattern": {"type": pattern_type, "interval": 1, **pattern},
            "range": {
                "type": "numbered",
                "startDate": start,
                "numberOfOccurrences": count,
                "recurrenceTimeZone": BRUSSELS,
            },
        },
    }


@tagged("post_install", "-at_install")
class TestMicrosoftRoundTrip(RoundTripContract, MicrosoftSyncCase):
    """An Odoo edit changes in Outlook exactly what it changed in Odoo, nothing else."""

    def pull(self, body):
        remote = self.microsoft.insert_event(self.email, body)
        self.sync()
        return remote["id"], self.linked(remote["id"])

    def test_moved_event_keeps_its_own_time_zone(self):
        remote_id, event = self.pull(TOKYO_EVENT)
        before = self.microsoft.get_event(self.email, remote_id)
        event.with_user(self.user).write(
            {
                "start": event.start + dt.timedelta(hours=1),
                "stop": event.stop + dt.timedelta(hours=1),
            }
        )
        self.sync()
        after = self.microsoft.get_event(self.email, remote_id)
        self.assertEqual(after["originalStartTimeZone"], "Tokyo Standard Time")
        self.assertEqual(after["start"]["timeZone"], "UTC")  # as the emulator renders it
        self.assertEqual(after["start"]["dateTime"][:19], "2027-02-10T10:00:00")  # 19:00 Tokyo
        self.assertEqual(after["location"], before["location"])

    def test_series_rename_is_one_patch_of_its_master(self):
        body = monthly_series("Monthly review", 4, 8, dayOfMonth=4)
        master_id, recurrence = self.pull(body)
        self.assertEqual(len(recurrence.calendar_event_ids), 8)
        occurrence = recurrence.calendar_event_ids.sorted("start")[2]
        occurrence.with_user(self.user).write(
            {"name": "Monthly review (renamed)", "recurrence_update": "all_events"}
        )
        self.microsoft.requests.clear()
        counts = self.sync()
        patches = self.microsoft.requests.filter(method="PATCH")
        self.assertEqual([patch.path.rsplit("/", 1)[1] for patch in patches], [master_id])
        self.assertEqual((counts.pushed_updated, counts.errors), (1, 0))
        instances = self.microsoft.instances(self.email, master_id)
        self.assertEqual({i["subject"] for i in instances}, {"Monthly review (renamed)"})
        self.assertEqual({i["type"] for i in instances}, {"occurrence"})

    def test_day_31_series_keeps_outlooks_occurrences(self):
        master_id, recurrence = self.pull(monthly_series("Month end", 31, 6, dayOfMonth=31))
        expected = [
            dt.date(2027, 1, 31),
            dt.date(2027, 2, 28),
            dt.date(2027, 3, 31),
            dt.date(2027, 4, 30),
            dt.date(2027, 5, 31),
            dt.date(2027, 6, 30),
        ]

        def odoo_days():
            events = recurrence.exists().calendar_event_ids.sorted("start")
            return [event.start.date() for event in events]

        def outlook_days():
            instances = self.microsoft.instances(self.email, master_id)
            return sorted(dt.date.fromisoformat(i["start"]["dateTime"][:10]) for i in instances)

        self.assertEqual(outlook_days(), expected)
        self.assertEqual(odoo_days(), expected)
        recurrence.calendar_event_ids[0].with_user(self.user).write(
            {"name": "Month end (closing)", "recurrence_update": "all_events"}
        )
        for _sync in range(3):
            counts = self.sync()
            self.assertEqual((counts.pulled_deleted, counts.errors), (0, 0))
            self.assertEqual(odoo_days(), expected)
            self.assertEqual(outlook_days(), expected)
        self.assertEqual(set(recurrence.calendar_event_ids.mapped("name")), {"Month end (closing)"})
