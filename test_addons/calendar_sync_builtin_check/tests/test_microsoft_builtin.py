import datetime as dt
import re

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..builtin_sync import (
    CLIENT_SECRET,
    MICROSOFT_CLIENT_ID,
    connect_microsoft,
    microsoft_pointed_at,
    run_post_commit_hooks,
    sync_microsoft,
)
from .common import REMOTE_EVENTS, BuiltinSyncCase, MicrosoftEmulator, trusting

DELTA_PATH = r"^/v1\.0/me/calendarView/delta$"


def graph_time(moment):
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


@tagged("post_install", "-at_install")
class TestMicrosoftBuiltin(BuiltinSyncCase):
    """A day of Odoo's own microsoft_calendar, unchanged, against the Graph emulator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.microsoft = MicrosoftEmulator(
            client_id=MICROSOFT_CLIENT_ID, client_secret=CLIENT_SECRET
        ).start()
        cls.addClassCleanup(cls.microsoft.stop)
        cls.enterClassContext(trusting(cls.microsoft.ca_path))
        cls.enterClassContext(microsoft_pointed_at(cls.env, cls.microsoft))

    def setUp(self):
        super().setUp()
        self.microsoft.reset()
        self.email = self.user.email
        self.microsoft.add_account(self.email, "Alice", time_zone="Romance Standard Time")

    def remote_event(self, subject, hours_from_now=24, **body):
        start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, second=0, minute=0)
        start += dt.timedelta(hours=hours_from_now)
        return self.microsoft.insert_event(
            self.email,
            {
                "subject": subject,
                "start": graph_time(start),
                "end": graph_time(start + dt.timedelta(hours=1)),
                **body,
            },
        )

    def delta_requests(self, since=0):
        """Delta requests from the ``since``-th logged request on."""
        return [
            request
            for request in self.microsoft.requests[since:]
            if request.method == "GET" and re.match(DELTA_PATH, request.path)
        ]

    def test_first_sync_paging_incremental_and_full_resync(self):
        existing = self.odoo_event("Existing in Odoo")
        existing_series = self.odoo_event(
            "Weekly, planned in Odoo",
            recurrency=True,
            rrule_type="daily",
            interval=1,
            end_type="count",
            count=4,
        )
        run_post_commit_hooks(self.env)  # not connected yet: nothing sent
        remote = [self.remote_event(f"Remote {i}", hours_from_now=i) for i in range(REMOTE_EVENTS)]
        connect_microsoft(self.user, self.microsoft)

        sync_microsoft(self.env, self.user)

        first_round = self.delta_requests()
        self.assertGreaterEqual(len(first_round), REMOTE_EVENTS // 50, "odata.maxpagesize=50")
        self.assertIn("$skiptoken", first_round[1].query)
        synced = self.env["calendar.event"].search(
            [("microsoft_id", "in", [e["id"] for e in remote])]
        )
        self.assertEqual(len(synced), REMOTE_EVENTS)
        self.assertTrue(existing.ms_universal_event_id, "the first sync pushes Odoo's events")
        pushed = self.microsoft.get_event(self.email, existing.microsoft_id)
        self.assertIn(
            "bob@example.org", [a["emailAddress"]["address"] for a in pushed["attendees"]]
        )
        # but never a recurrence: "Do not sync Odoo recurrences with Outlook Calendar anymore"
        # (microsoft_calendar/models/calendar_recurrence_rule.py, a FALSE_DOMAIN).
        self.assertFalse(existing_series.recurrence_id.microsoft_id)
        self.assertEqual(self.microsoft.events(self.email)[-1]["subject"], "Existing in Odoo")

        self.microsoft.patch_event(self.email, remote[0]["id"], {"subject": "Renamed in Outlook"})
        self.microsoft.delete_event(self.email, remote[1]["id"])
        self.remote_event("Added in Outlook")
        mark = len(self.microsoft.requests)
        sync_microsoft(self.env, self.user)

        self.assertIn("$deltatoken", self.delta_requests(since=mark)[0].query)
        self.assertEqual(self.events_named("Renamed in Outlook").microsoft_id, remote[0]["id"])
        self.assertFalse(self.events_named("Remote 1"), "deleted in Outlook, gone from Odoo")
        self.assertEqual(len(self.events_named("Added in Outlook")), 1)

        self.microsoft.expire_delta_tokens(self.email)
        self.remote_event("After the token expired")
        mark = len(self.microsoft.requests)
        with mute_logger("odoo.addons.microsoft_account.models.microsoft_service"):  # the 410
            sync_microsoft(self.env, self.user)

        expired, full = self.delta_requests(since=mark)[:2]
        self.assertEqual(expired.status, 410)
        self.assertIn("startDateTime", full.query, "410 -> a full sync")
        self.assertEqual(len(self.events_named("After the token expired")), 1)
        self.assertEqual(len(self.events_named("Renamed in Outlook")), 1, "no duplicate")
        self.assertNoRefusal(self.microsoft, expected=[(410, DELTA_PATH)])

    def test_odoo_changes_reach_outlook(self):
        connect_microsoft(self.user, self.microsoft, lifetime=0)  # first call refreshes
        sync_microsoft(self.env, self.user)

        meeting = self.odoo_event("Meeting with Bob")
        run_post_commit_hooks(self.env)
        remote = self.microsoft.get_event(self.email, meeting.microsoft_id)
        self.assertEqual(remote["organizer"]["emailAddress"]["address"], "alice@example.com")
        self.assertEqual(
            [a["emailAddress"]["address"] for a in remote["attendees"]], ["bob@example.org"]
        )
        meeting.with_user(self.user).write(
            {"name": "Meeting with Bob, moved", "location": "Room 2"}
        )
        run_post_commit_hooks(self.env)
        remote = self.microsoft.get_event(self.email, meeting.microsoft_id)
        self.assertEqual(
            (remote["subject"], remote["location"]["displayName"]),
            ("Meeting with Bob, moved", "Room 2"),
        )

        meeting.with_user(self.user).unlink()
        run_post_commit_hooks(self.env)
        self.assertIsNone(self.microsoft.get_event(self.email, remote["id"]))
        sync_microsoft(self.env, self.user)

        self.assertTrue(self.microsoft.requests.filter(path_regex=r"/oauth2/v2\.0/token$"))
        self.assertNoRefusal(self.microsoft)

    def test_outlook_series_reach_odoo_and_odoo_leaves_them_to_outlook(self):
        connect_microsoft(self.user, self.microsoft)
        sync_microsoft(self.env, self.user)
        start = dt.date.today() + dt.timedelta(days=1)
        master = self.remote_event(
            "Standup",
            recurrence={
                "pattern": {"type": "daily", "interval": 1},
                "range": {
                    "type": "numbered",
                    "startDate": start.isoformat(),
                    "numberOfOccurrences": 5,
                },
            },
            attendees=[{"emailAddress": {"address": "bob@example.org", "name": "Bob"}}],
        )
        occurrences = self.microsoft.instances(self.email, master["id"])
        self.microsoft.patch_event(self.email, occurrences[1]["id"], {"subject": "Standup, later"})
        self.microsoft.delete_event(self.email, occurrences[2]["id"])

        sync_microsoft(self.env, self.user)

        recurrence = self.env["calendar.recurrence"].search([("microsoft_id", "=", master["id"])])
        events = recurrence.calendar_event_ids
        self.assertEqual(len(events), 4, "the cancelled occurrence is not in Odoo")
        self.assertEqual(
            sorted(events.mapped("name")), ["Standup", "Standup", "Standup", "Standup, later"]
        )
        self.assertIn(self.guest, events[0].partner_ids)
        # Odoo 18's module sends no recurrence change to Outlook: it refuses them in Odoo.
        with self.assertRaises(UserError):
            events[0].with_user(self.user).action_mass_archive("all_events")

        # An occurrence Odoo already has, deleted in Outlook: the delta lists the series again
        # without it (no @removed), the answer Odoo's module is built on.
        self.microsoft.delete_event(self.email, occurrences[3]["id"])
        sync_microsoft(self.env, self.user)
        self.assertEqual(len(recurrence.calendar_event_ids), 3)

        self.microsoft.delete_event(self.email, master["id"])
        sync_microsoft(self.env, self.user)
        self.assertFalse(self.events_named("Standup") | self.events_named("Standup, later"))
        self.assertNoRefusal(self.microsoft)
