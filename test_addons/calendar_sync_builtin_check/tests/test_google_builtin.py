import datetime as dt
import re

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..builtin_sync import (
    CLIENT_SECRET,
    GOOGLE_CLIENT_ID,
    connect_google,
    google_pointed_at,
    run_post_commit_hooks,
    sync_google,
)
from .common import REMOTE_EVENTS, BuiltinSyncCase, GoogleEmulator

ZONE = "Europe/Brussels"
EVENTS_PATH = r"^/calendar/v3/calendars/primary/events"


def google_time(moment):
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": ZONE}


@tagged("post_install", "-at_install")
class TestGoogleBuiltin(BuiltinSyncCase):
    """A day of Odoo's own google_calendar, unchanged, against the Google emulator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.google = GoogleEmulator(client_id=GOOGLE_CLIENT_ID, client_secret=CLIENT_SECRET)
        cls.google.start()
        cls.addClassCleanup(cls.google.stop)
        cls.enterClassContext(google_pointed_at(cls.env, cls.google))

    def setUp(self):
        super().setUp()
        self.google.reset()
        self.email = self.user.email
        self.google.add_account(self.email, time_zone=ZONE)

    def remote_event(self, summary, hours_from_now=24, **body):
        start = self.now + dt.timedelta(hours=hours_from_now)
        return self.google.insert_event(
            self.email,
            {
                "summary": summary,
                "start": google_time(start),
                "end": google_time(start + dt.timedelta(hours=1)),
                **body,
            },
        )

    def list_requests(self, since=0):
        """events.list requests from the ``since``-th logged request on."""
        return [
            request
            for request in self.google.requests[since:]
            if request.method == "GET" and re.match(EVENTS_PATH + "$", request.path)
        ]

    def test_first_sync_paging_incremental_and_full_resync(self):
        existing = self.odoo_event("Existing in Odoo")
        run_post_commit_hooks(self.env)  # not connected yet: nothing sent
        remote = [self.remote_event(f"Remote {i}", hours_from_now=i) for i in range(REMOTE_EVENTS)]
        connect_google(self.env, self.user, self.google)

        sync_google(self.env, self.user)

        first_pages = self.list_requests()
        self.assertEqual(len(first_pages), 2, "300 events are two pages of Google's 250")
        self.assertEqual(set(first_pages[1].query), {"access_token", "pageToken"})
        synced = self.env["calendar.event"].search([("google_id", "in", [e["id"] for e in remote])])
        self.assertEqual(len(synced), REMOTE_EVENTS)

        self.google.patch_event(self.email, remote[0]["id"], {"summary": "Renamed in Google"})
        self.google.delete_event(self.email, remote[1]["id"])
        self.remote_event("Added in Google")
        mark = len(self.google.requests)
        sync_google(self.env, self.user)

        (incremental,) = self.list_requests(since=mark)
        self.assertIn("syncToken", incremental.query)
        self.assertEqual(self.events_named("Renamed in Google").google_id, remote[0]["id"])
        self.assertFalse(self.events_named("Remote 1"), "deleted in Google, gone from Odoo")
        self.assertEqual(len(self.events_named("Added in Google")), 1)
        # A run pushes at most 200 of Odoo's events (google_sync._get_records_to_sync): the
        # first one spent them on the 300 it had just pulled, this one sends what Odoo had.
        pushed = self.google.get_event(self.email, existing.google_id)
        self.assertEqual(pushed["summary"], "Existing in Odoo")
        self.assertIn("bob@example.org", [a["email"] for a in pushed["attendees"]])

        self.google.expire_sync_tokens(self.email)
        self.remote_event("After the token expired")
        mark = len(self.google.requests)
        with mute_logger("odoo.addons.google_account.models.google_service"):  # logs the 410
            sync_google(self.env, self.user)

        expired, *full = self.list_requests(since=mark)
        self.assertEqual(expired.status, 410)
        self.assertNotIn("syncToken", full[0].query, "410 -> a full sync")
        self.assertEqual(len(full), 2)
        self.assertEqual(len(self.events_named("After the token expired")), 1)
        self.assertEqual(len(self.events_named("Renamed in Google")), 1, "no duplicate")
        self.assertNoRefusal(self.google, expected=[(410, EVENTS_PATH + "$")])

    def test_odoo_changes_reach_google(self):
        connect_google(self.env, self.user, self.google, lifetime=0)  # the first call refreshes
        sync_google(self.env, self.user)

        meeting = self.odoo_event("Meeting with Bob")
        run_post_commit_hooks(self.env)
        remote = self.google.get_event(self.email, meeting.google_id)
        self.assertEqual(
            sorted(a["email"] for a in remote["attendees"]),
            ["alice@example.com", "bob@example.org"],
        )
        meeting.with_user(self.user).write(
            {"name": "Meeting with Bob, moved", "location": "Room 2"}
        )
        run_post_commit_hooks(self.env)
        remote = self.google.get_event(self.email, meeting.google_id)
        self.assertEqual(
            (remote["summary"], remote["location"]), ("Meeting with Bob, moved", "Room 2")
        )

        meeting.with_user(self.user).unlink()
        run_post_commit_hooks(self.env)
        self.assertEqual(self.google.get_event(self.email, remote["id"])["status"], "cancelled")

        series = self.odoo_event(
            "Weekly with Bob",
            recurrency=True,
            rrule_type="daily",
            interval=1,
            end_type="count",
            count=5,
        )
        run_post_commit_hooks(self.env)
        recurrence = series.recurrence_id
        self.assertTrue(recurrence.google_id)
        master = self.google.get_event(self.email, recurrence.google_id)
        self.assertTrue(master["recurrence"][0].startswith("RRULE:FREQ=DAILY"))
        self.assertEqual(len(self.google.instances(self.email, recurrence.google_id)), 5)

        second, third = recurrence.calendar_event_ids.sorted("start")[1:3]
        second.with_user(self.user).write(
            {"name": "Weekly with Bob, this once", "recurrence_update": "self_only"}
        )
        third.with_user(self.user).action_mass_archive("self_only")
        run_post_commit_hooks(self.env)
        instances = self.google.instances(self.email, recurrence.google_id)
        self.assertEqual(len(instances), 4, "the archived occurrence is cancelled in Google")
        self.assertIn("Weekly with Bob, this once", [i["summary"] for i in instances])
        sync_google(self.env, self.user)  # Google's answers come back without a change

        first = recurrence.calendar_event_ids.sorted("start")[0]
        first.with_user(self.user).action_mass_archive("all_events")
        run_post_commit_hooks(self.env)
        self.assertEqual(self.google.get_event(self.email, master["id"])["status"], "cancelled")
        self.assertEqual(self.google.instances(self.email, master["id"]), [])
        sync_google(self.env, self.user)

        self.assertTrue(self.google.requests.filter(path_regex=r"^/o/oauth2/token$"))
        self.assertNoRefusal(self.google)

    def test_google_series_reach_odoo(self):
        connect_google(self.env, self.user, self.google)
        sync_google(self.env, self.user)
        master = self.remote_event(
            "Standup",
            recurrence=["RRULE:FREQ=DAILY;COUNT=5"],
            attendees=[{"email": self.email}, {"email": "bob@example.org"}],
        )
        instances = self.google.instances(self.email, master["id"])
        self.google.patch_event(self.email, instances[1]["id"], {"summary": "Standup, later"})
        self.google.delete_event(self.email, instances[2]["id"])

        sync_google(self.env, self.user)

        recurrence = self.env["calendar.recurrence"].search([("google_id", "=", master["id"])])
        events = recurrence.calendar_event_ids
        self.assertEqual(len(events), 4, "the cancelled occurrence is not in Odoo")
        self.assertEqual(
            sorted(events.mapped("name")), ["Standup", "Standup", "Standup", "Standup, later"]
        )
        self.assertIn(self.guest, events[0].partner_ids)

        self.google.delete_event(self.email, master["id"])
        sync_google(self.env, self.user)
        self.assertFalse(self.events_named("Standup") | self.events_named("Standup, later"))
        self.assertNoRefusal(self.google)
