import datetime as dt

from odoo.tests import tagged

from .common import GoogleSyncCase

# What Google changes on every write, whoever writes.
SERVER_FIELDS = {"etag", "updated", "sequence"}
TOKYO_EVENT = {
    "summary": "Supplier call",
    "start": {"dateTime": "2027-02-10T18:00:00+09:00", "timeZone": "Asia/Tokyo"},
    "end": {"dateTime": "2027-02-10T19:00:00+09:00", "timeZone": "Asia/Tokyo"},
    "location": "Room 4",
    "attendees": [
        {"email": "alice@example.com", "responseStatus": "accepted", "organizer": True},
        {"email": "bob@example.org", "optional": True, "responseStatus": "tentative"},
        {"email": "room@example.org", "resource": True, "responseStatus": "accepted"},
    ],
    "reminders": {"useDefault": True},
    "conferenceData": {
        "conferenceId": "abc-defg-hij",
        "entryPoints": [{"entryPointType": "video", "uri": "https://meet.example/abc-defg-hij"}],
    },
}


def without(item, names):
    return {key: value for key, value in item.items() if key not in names}


@tagged("post_install", "-at_install")
class TestGoogleRoundTrip(GoogleSyncCase):
    """An Odoo edit changes on Google exactly what it changed in Odoo, nothing else."""

    def pull(self, body):
        remote = self.google.insert_event(self.email, body)
        self.sync()
        return remote["id"], self.linked(remote["id"])

    def test_title_edit_changes_only_the_title(self):
        remote_id, event = self.pull(TOKYO_EVENT)
        before = self.google.get_event(self.email, remote_id)
        event.with_user(self.user).write({"name": "Supplier call (moved room)"})
        counts = self.sync()
        self.assertEqual(counts.pushed_updated, 1)
        after = self.google.get_event(self.email, remote_id)
        self.assertEqual(after["summary"], "Supplier call (moved room)")
        ignored = SERVER_FIELDS | {"summary"}
        self.assertEqual(without(after, ignored), without(before, ignored))

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

    def test_new_guest_joins_without_changing_the_others(self):
        remote_id, event = self.pull(TOKYO_EVENT)
        carol = self.env["res.partner"].create({"name": "Carol", "email": "carol@example.net"})
        event.with_user(self.user).write({"partner_ids": [(4, carol.id)]})
        self.sync()
        attendees = {
            attendee["email"]: attendee
            for attendee in self.google.get_event(self.email, remote_id)["attendees"]
        }
        self.assertTrue(attendees["bob@example.org"].get("optional"))
        self.assertEqual(attendees["bob@example.org"]["responseStatus"], "tentative")
        self.assertTrue(attendees["room@example.org"].get("resource"))
        self.assertIn("carol@example.net", attendees)
        self.assertFalse(attendees["carol@example.net"].get("optional"))

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
