import datetime as dt

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.common import ACCOUNT_LOGGER

from .common import MicrosoftSyncCase, graph_time

BATCH_PATH = r"^/v1\.0/\$batch$"


@tagged("post_install", "-at_install")
class TestMicrosoftPull(MicrosoftSyncCase):
    def test_pull_maps_every_field(self):
        remote = self.remote_event(
            subject="Quarterly review",
            body={"contentType": "html", "content": "<p>Agenda: <b>numbers</b></p>"},
            location={"displayName": "Room 4"},
            sensitivity="private",
            showAs="free",
            isReminderOn=True,
            reminderMinutesBeforeStart=15,
            attendees=[
                {
                    "type": "required",
                    "emailAddress": {"address": "bob@example.org", "name": "Bob"},
                    "status": {"response": "tentativelyAccepted"},
                },
                {
                    "type": "optional",
                    "emailAddress": {"address": "carol@example.org", "name": "Carol"},
                },
            ],
            isOnlineMeeting=True,
        )
        counts = self.sync()
        self.assertEqual(counts.pulled_created, 1)
        event = self.linked(remote["id"])
        self.assertEqual(event.name, "Quarterly review")
        self.assertIn("<b>numbers</b>", str(event.description))
        self.assertEqual(
            (event.location, event.privacy, event.show_as), ("Room 4", "private", "free")
        )
        self.assertEqual(event.alarm_ids.mapped("duration_minutes"), [15])
        states = {a.partner_id.email: a.state for a in event.attendee_ids}
        self.assertEqual(states["bob@example.org"], "tentative")
        self.assertIn("carol@example.org", states)
        self.assertTrue(event.videocall_location.startswith("http"))

    def test_times_honour_windows_zones_and_all_day_dates(self):
        timed = self.microsoft.insert_event(
            self.email,
            {
                "subject": "In Brussels",
                "start": {"dateTime": "2027-07-01T09:00:00", "timeZone": "Romance Standard Time"},
                "end": {"dateTime": "2027-07-01T10:00:00", "timeZone": "Romance Standard Time"},
            },
        )
        allday = self.microsoft.insert_event(
            self.email,
            {
                "subject": "Holiday",
                "isAllDay": True,
                "start": {"dateTime": "2027-07-14T00:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2027-07-16T00:00:00", "timeZone": "UTC"},
            },
        )
        self.sync()
        self.assertEqual(self.linked(timed["id"]).start, dt.datetime(2027, 7, 1, 7))
        holiday = self.linked(allday["id"])
        self.assertTrue(holiday.allday)
        self.assertEqual(
            (holiday.start_date, holiday.stop_date), (dt.date(2027, 7, 14), dt.date(2027, 7, 15))
        )

    def test_incremental_pull_follows_the_delta_link(self):
        remote = self.remote_event(subject="Planning")
        self.sync()
        self.microsoft.patch_event(self.email, remote["id"], {"subject": "Planning (moved)"})
        self.microsoft.requests.clear()
        counts = self.sync()
        delta_calls = self.microsoft.requests.filter(method="GET", path_regex="/calendarView/delta")
        self.assertTrue(delta_calls)
        self.assertTrue(all(req.arg("$deltatoken") or req.arg("$skiptoken") for req in delta_calls))
        self.assertEqual(counts.pulled_updated, 1)
        self.assertEqual(self.linked(remote["id"]).name, "Planning (moved)")

    def test_remote_deletion_archives_the_odoo_event(self):
        remote = self.remote_event()
        self.sync()
        event = self.linked(remote["id"])
        self.microsoft.delete_event(self.email, remote["id"])
        counts = self.sync()
        self.assertEqual(counts.pulled_deleted, 1)
        self.assertFalse(event.active)

    def test_expired_delta_token_resyncs_without_duplicates_or_deletions(self):
        kept = self.remote_event(subject="Kept")
        local = self.odoo_event("Local only")
        self.sync()
        self.microsoft.expire_delta_tokens(self.email)
        self.microsoft.patch_event(
            self.email, kept["id"], {"location": {"displayName": "New room"}}
        )
        with mute_logger("odoo.addons.calendar_sync_base.models.calendar_sync_runner"):
            self.sync()
        events = self.env["calendar.event"].search([("name", "in", ("Kept", "Local only"))])
        self.assertEqual(len(events), 2)
        self.assertTrue(local.active)
        self.assertEqual(self.linked(kept["id"]).location, "New room")
        self.assertEqual(len(self.microsoft.events(self.email)), 2)


@tagged("post_install", "-at_install")
class TestMicrosoftPush(MicrosoftSyncCase):
    def test_push_create_update_delete_through_batch(self):
        self.account.existing_guests_policy = "with_guests"  # first sync: invite the guests
        guest = self.env["res.partner"].create({"name": "Guest", "email": "guest@example.org"})
        event = self.odoo_event(
            "Design review",
            location="Lab",
            privacy="private",
            show_as="free",
            partner_ids=[(4, guest.id), (4, self.user.partner_id.id)],
        )
        counts = self.sync()
        self.assertEqual(counts.pushed_created, 1)
        self.assertTrue(self.microsoft.requests.filter(method="POST", path_regex=BATCH_PATH))
        link = event.sudo().sync_link_ids
        remote = self.microsoft.get_event(self.email, link.remote_id)
        self.assertEqual(remote["subject"], "Design review")
        self.assertEqual(remote["location"]["displayName"], "Lab")
        self.assertEqual((remote["sensitivity"], remote["showAs"]), ("private", "free"))
        self.assertIn(
            "guest@example.org", [a["emailAddress"]["address"] for a in remote["attendees"]]
        )
        start = dt.datetime.fromisoformat(remote["start"]["dateTime"][:19]).replace(
            tzinfo=dt.timezone.utc
        )
        self.assertEqual(start, event.start.replace(tzinfo=dt.timezone.utc))

        event.with_user(self.user).write({"name": "Design review v2"})
        counts = self.sync()
        self.assertEqual(counts.pushed_updated, 1)
        self.assertEqual(
            self.microsoft.get_event(self.email, link.remote_id)["subject"], "Design review v2"
        )

        remote_id = link.remote_id
        event.with_user(self.user).unlink()
        counts = self.sync()
        self.assertEqual(counts.pushed_deleted, 1)
        self.assertIsNone(self.microsoft.get_event(self.email, remote_id))

    def test_45_creates_go_in_three_batches(self):
        self.env["ir.config_parameter"].set_param("calendar_sync.batch_size", 100)
        for index in range(45):
            self.odoo_event(f"Bulk {index}", hours_from_now=24 + index)
        self.microsoft.requests.clear()
        counts = self.sync()
        self.assertEqual(counts.pushed_created, 45)
        self.assertEqual(
            self.microsoft.requests.count(method="POST", path_regex=BATCH_PATH, in_batch=False), 3
        )

    def test_throttled_batch_parts_are_retried_alone(self):
        self.odoo_event("Throttled one")
        self.odoo_event("Fine one", hours_from_now=60)
        self.microsoft.faults.mailbox_concurrency(times=1, retry_after=0)
        counts = self.sync()
        self.assertEqual(counts.pushed_created, 2)
        self.assertEqual(len(self.microsoft.events(self.email)), 2)

    def test_create_whose_commit_was_lost_is_adopted_not_duplicated(self):
        event = self.odoo_event("Crash victim")
        self.sync()
        # A crash after the remote create, before Odoo committed: the link is still pending.
        event.sudo().sync_link_ids.write(
            {"remote_id": False, "etag": False, "snapshot": False, "need_push": True}
        )
        self.sync()
        self.assertEqual(len(self.microsoft.events(self.email)), 1)
        self.assertEqual(len(event.sudo().sync_link_ids), 1)

    def test_conflict_policy_odoo_wins(self):
        self.assertEqual(self.contest("odoo"), ("Odoo title", "Odoo title"))

    def test_conflict_policy_remote_wins(self):
        self.assertEqual(self.contest("remote"), ("Remote title", "Remote title"))

    def test_answer_given_in_odoo_is_sent_as_a_response(self):
        remote = self.microsoft.insert_event(
            self.email,
            {
                "subject": "Board meeting",
                "start": graph_time(self.now + dt.timedelta(hours=30)),
                "end": graph_time(self.now + dt.timedelta(hours=31)),
            },
            organizer="boss@example.com",
        )
        self.sync()
        event = self.linked(remote["id"])
        mine = event.attendee_ids.filtered(lambda a: a.partner_id == self.user.partner_id)
        mine.with_user(self.user).do_accept()
        counts = self.sync()
        self.assertEqual(counts.errors, 0, event.sudo().sync_link_ids.push_error)
        self.assertTrue(self.microsoft.requests.filter(method="POST", path_regex="/accept$"))
        self.assertEqual(
            self.microsoft.get_event(self.email, remote["id"])["responseStatus"]["response"],
            "accepted",
        )

    def test_never_patches_events_organized_by_others(self):
        remote = self.microsoft.insert_event(
            self.email,
            {
                "subject": "Their event",
                "start": graph_time(self.now + dt.timedelta(hours=40)),
                "end": graph_time(self.now + dt.timedelta(hours=41)),
            },
            organizer="boss@example.com",
        )
        self.sync()
        self.linked(remote["id"]).write({"name": "My own title"})
        self.microsoft.requests.clear()
        self.sync()
        self.assertFalse(self.microsoft.requests.filter(method="PATCH"))


@tagged("post_install", "-at_install")
class TestMicrosoftCredentials(MicrosoftSyncCase):
    @mute_logger(ACCOUNT_LOGGER)  # the failed sync's WARNING line
    def test_revoked_grant_marks_needs_reconnect(self):
        self.microsoft.revoke_sessions(self.email)
        self.microsoft.expire_access_tokens(self.email)
        counts = self.sync(expect_ok=False)
        self.assertIsNone(counts)
        self.assertEqual(self.account.state, "needs_reconnect")

    def test_refresh_rotates_and_keeps_the_cache(self):
        before = self.account.token_cache
        self.microsoft.expire_access_tokens(self.email)
        self.remote_event()
        self.sync()
        self.assertNotEqual(self.account.token_cache, before, "rotated tokens were stored")
        self.microsoft.expire_access_tokens(self.email)
        self.sync()

    def test_single_tenant_authority(self):
        self.env["ir.config_parameter"].set_param(
            "calendar_sync_microsoft.tenant", self.microsoft.tenant_id
        )
        self.microsoft.expire_access_tokens(self.email)
        self.remote_event(subject="Through my tenant")
        self.sync()
        self.assertTrue(self.env["calendar.event"].search([("name", "=", "Through my tenant")]))
