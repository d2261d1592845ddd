import datetime as dt

from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_recurrence import RecurrenceContract

from .common import GoogleSyncCase

UTC = dt.timezone.utc
BRUSSELS_WEEKLY = {
    "summary": "Weekly sync",
    "start": {"dateTime": "2027-03-22T09:00:00", "timeZone": "Europe/Brussels"},
    "end": {"dateTime": "2027-03-22T09:30:00", "timeZone": "Europe/Brussels"},
    "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO"],
}


@tagged("post_install", "-at_install")
class TestGoogleRecurrencePull(GoogleSyncCase):
    def pull_series(self, body=None):
        master = self.google.insert_event(self.email, dict(body or BRUSSELS_WEEKLY))
        self.sync()
        link = self.env["calendar.sync.link"].search(
            [("account_id", "=", self.account.id), ("remote_id", "=", master["id"])]
        )
        self.assertTrue(link.recurrence_id, "a series is linked as one recurrence")
        return master, link.recurrence_id

    def test_series_keeps_its_local_time_across_dst(self):
        _master, recurrence = self.pull_series()
        starts = sorted(recurrence.calendar_event_ids.mapped("start"))
        self.assertEqual(
            starts,
            [dt.datetime(2027, 3, 22, 8), dt.datetime(2027, 3, 29, 7), dt.datetime(2027, 4, 5, 7)],
        )
        self.assertEqual(recurrence.event_tz, "Europe/Brussels")
        self.assertEqual(set(recurrence.calendar_event_ids.mapped("name")), {"Weekly sync"})

    def test_cancelled_instance_removes_the_occurrence(self):
        master, recurrence = self.pull_series()
        self.google.delete_event(self.email, f"{master['id']}_20270329T070000Z")
        self.sync()
        starts = sorted(recurrence.calendar_event_ids.mapped("start"))
        self.assertEqual(starts, [dt.datetime(2027, 3, 22, 8), dt.datetime(2027, 4, 5, 7)])

    def test_moved_instance_moves_only_that_occurrence(self):
        master, recurrence = self.pull_series()
        instance_id = f"{master['id']}_20270329T070000Z"
        self.google.patch_event(
            self.email,
            instance_id,
            {
                "summary": "Weekly sync (late)",
                "start": {"dateTime": "2027-03-29T11:00:00+02:00"},
                "end": {"dateTime": "2027-03-29T11:30:00+02:00"},
            },
        )
        self.sync()
        moved = self.linked(instance_id)
        self.assertEqual(moved.recurrence_id, recurrence)
        self.assertEqual(moved.start, dt.datetime(2027, 3, 29, 9))
        self.assertEqual(moved.name, "Weekly sync (late)")
        self.assertEqual(moved.sync_original_start, dt.datetime(2027, 3, 29, 7))
        others = recurrence.calendar_event_ids - moved
        self.assertEqual(set(others.mapped("name")), {"Weekly sync"})

    def test_all_day_series(self):
        _master, recurrence = self.pull_series(
            {
                "summary": "Payday",
                "start": {"date": "2027-01-25"},
                "end": {"date": "2027-01-26"},
                "recurrence": ["RRULE:FREQ=MONTHLY;COUNT=3;BYMONTHDAY=25"],
            }
        )
        self.assertEqual(
            sorted(recurrence.calendar_event_ids.mapped("start_date")),
            [dt.date(2027, 1, 25), dt.date(2027, 2, 25), dt.date(2027, 3, 25)],
        )
        self.assertTrue(all(recurrence.calendar_event_ids.mapped("allday")))


@tagged("post_install", "-at_install")
class TestGoogleRecurrenceSplitPull(GoogleSyncCase):
    def test_remote_this_and_following_is_mirrored(self):
        master = self.google.insert_event(self.email, dict(BRUSSELS_WEEKLY))
        self.sync()
        # Google splits a series by ending the old master and starting a new one.
        self.google.patch_event(
            self.email,
            master["id"],
            {"recurrence": ["RRULE:FREQ=WEEKLY;UNTIL=20270328T000000Z;BYDAY=MO"]},
        )
        self.google.insert_event(
            self.email,
            {
                **BRUSSELS_WEEKLY,
                "summary": "Weekly sync (new time)",
                "start": {"dateTime": "2027-03-29T14:00:00", "timeZone": "Europe/Brussels"},
                "end": {"dateTime": "2027-03-29T14:30:00", "timeZone": "Europe/Brussels"},
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2;BYDAY=MO"],
            },
        )
        self.sync()
        events = self.env["calendar.event"].search(
            [("name", "like", "Weekly sync"), ("user_id", "=", self.user.id)], order="start"
        )
        self.assertEqual(
            [(event.name, event.start) for event in events],
            [
                ("Weekly sync", dt.datetime(2027, 3, 22, 8)),
                ("Weekly sync (new time)", dt.datetime(2027, 3, 29, 12)),
                ("Weekly sync (new time)", dt.datetime(2027, 4, 5, 12)),
            ],
        )


@tagged("post_install", "-at_install")
class TestGoogleContractRecurrence(RecurrenceContract, GoogleSyncCase):
    """The recurrence contract every provider passes, and how Google receives a series."""

    def test_new_series_is_pushed_as_an_rrule_in_its_zone(self):
        master_id, _recurrence = self.odoo_series()
        master = self.google.get_event(self.email, master_id)
        self.assertEqual(master["recurrence"], ["RRULE:FREQ=DAILY;COUNT=3"])
        self.assertEqual(master["start"]["timeZone"], "Europe/Brussels")
