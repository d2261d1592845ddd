import datetime as dt

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.common import ACCOUNT_LOGGER
from odoo.addons.calendar_sync_base.tests.contract_sync import SyncContract

from .common import EVENTS_PATH, GoogleSyncCase, google_time


@tagged("post_install", "-at_install")
class TestGooglePull(GoogleSyncCase):
    def test_new_remote_events_cost_a_few_queries_each(self):
        """New events of a page are created in bulk: each one more costs well under two
        queries (it was about 26, one create, chatter and history per event)."""
        self.sync()
        guest = {"email": "guest@example.org"}
        reminders = {"useDefault": False, "overrides": [{"method": "popup", "minutes": 15}]}

        def pull(count, offset):
            for number in range(count):
                self.remote_event(
                    hours_from_now=30 + offset + number,
                    summary=f"Bulk {offset + number}",
                    attendees=[{"email": self.email, "self": True}, guest],
                    reminders=reminders,
                )
            before = self.env.cr.sql_log_count
            self.assertEqual(self.sync().pulled_created, count)
            return self.env.cr.sql_log_count - before

        few, many = pull(5, 0), pull(25, 100)
        self.assertLess((many - few) / 20, 2, f"{few} queries for 5 events, {many} for 25")

    def test_event_without_guests_shows_in_the_users_calendar_and_stays_quiet(self):
        remote = self.remote_event(summary="Dentist")
        self.sync()
        event = self.linked(remote["id"])
        self.assertEqual(event.partner_ids, self.user.partner_id, "the user attends it")
        self.google.requests.clear()
        counts = self.sync()
        self.assertEqual(counts.pushed_updated, 0)
        self.assertNotIn("attendees", self.google.get_event(self.email, remote["id"]))

    def test_unreadable_remote_event_is_reported_and_the_rest_applied(self):
        readable = self.remote_event(summary="Readable")
        broken = {
            "kind": "calendar#event",
            "id": "broken00001",
            "status": "confirmed",
            "summary": "Broken",
            "start": {"dateTime": "yesterday-ish"},
            "end": {},
        }
        page = {"kind": "calendar#events", "items": [readable, broken], "nextSyncToken": "t1"}
        self.google.faults.add(
            status=200,
            body=page,
            headers={"Content-Type": "application/json"},
            method="GET",
            path_regex=EVENTS_PATH,
        )
        counts = self.sync()
        self.assertEqual((counts.pulled_created, counts.errors), (1, 1))
        self.assertTrue(self.linked(readable["id"]))
        problem = self.env["calendar.sync.log"].search(
            [("account_id", "=", self.account.id), ("operation", "=", "error")]
        )
        self.assertIn("broken00001", problem.message)
        self.assertEqual(self.account.state, "connected")

    def test_all_day_event_keeps_its_date_in_every_zone(self):
        remote = self.google.insert_event(
            self.email,
            {"summary": "Holiday", "start": {"date": "2026-12-24"}, "end": {"date": "2026-12-26"}},
        )
        self.env["ir.config_parameter"].set_param("calendar_sync.window_days_back", 0)
        self.sync()
        event = self.linked(remote["id"])
        self.assertTrue(event.allday)
        self.assertEqual(
            (event.start_date, event.stop_date), (dt.date(2026, 12, 24), dt.date(2026, 12, 25))
        )
        for zone in ("Pacific/Honolulu", "Asia/Tokyo"):
            self.user.tz = zone
            neutral = event._sync_to_neutral()
            self.assertEqual(
                (neutral.start, neutral.stop), (dt.date(2026, 12, 24), dt.date(2026, 12, 26))
            )


@tagged("post_install", "-at_install")
class TestGooglePush(GoogleSyncCase):
    def test_push_carries_the_odoo_id_the_etag_and_the_invitation_choice(self):
        event = self.odoo_event("Design review", location="Lab")
        self.sync()
        link = event.sudo().sync_link_ids
        remote = self.google.get_event(self.email, link.remote_id)
        self.assertEqual(remote["extendedProperties"]["private"]["odoo_id"], str(event.id))
        first_push = self.google.requests.filter(in_batch=True, method="POST")[-1]
        self.assertEqual(first_push.arg("sendUpdates"), "none", "first sync sends no invitations")

        event.with_user(self.user).write({"name": "Design review v2"})
        self.google.requests.clear()
        self.sync()
        patch = self.google.requests.filter(method="PATCH", in_batch=True)[-1]
        self.assertEqual(patch.headers.get("If-Match"), remote["etag"])
        self.assertEqual(patch.arg("sendUpdates"), "all")

        remote_id = link.remote_id
        event.with_user(self.user).unlink()
        self.sync()
        self.assertEqual(self.google.get_event(self.email, remote_id)["status"], "cancelled")

    def test_push_maps_every_field(self):
        guest = self.env["res.partner"].create({"name": "Guest", "email": "guest@example.org"})
        alarm = self.env["calendar.alarm"].create(
            {"name": "30 min mail", "alarm_type": "email", "duration": 30, "interval": "minutes"}
        )
        event = self.odoo_event(
            "Launch",
            description="<p>Bring <b>slides</b></p>",
            location="Hall",
            privacy="confidential",
            show_as="free",
            partner_ids=[(4, guest.id), (4, self.user.partner_id.id)],
            alarm_ids=[(4, alarm.id)],
        )
        allday = self.odoo_event(
            "Offsite", allday=True, start_date="2027-02-01", stop_date="2027-02-02"
        )
        self.sync()
        remote = self.google.get_event(self.email, event.sudo().sync_link_ids.remote_id)
        self.assertEqual(remote["summary"], "Launch")
        self.assertIn("<b>slides</b>", remote["description"])
        self.assertEqual((remote["location"], remote["visibility"]), ("Hall", "confidential"))
        self.assertEqual(remote["transparency"], "transparent")
        start = dt.datetime.fromisoformat(remote["start"]["dateTime"].replace("Z", "+00:00"))
        self.assertEqual(start, event.start.replace(tzinfo=dt.timezone.utc))
        self.assertEqual(remote["start"]["timeZone"], "Europe/Brussels")
        self.assertEqual(
            {a["email"] for a in remote["attendees"]}, {"guest@example.org", self.email}
        )
        self.assertEqual(remote["reminders"]["overrides"], [{"method": "email", "minutes": 30}])
        whole_days = self.google.get_event(self.email, allday.sudo().sync_link_ids.remote_id)
        self.assertEqual(
            (whole_days["start"]["date"], whole_days["end"]["date"]), ("2027-02-01", "2027-02-03")
        )
        self.assertNotIn("dateTime", whole_days["start"])

    def test_remote_change_after_our_read_is_detected_by_etag(self):
        event = self.odoo_event("Etag guarded")
        self.sync()
        link = event.sudo().sync_link_ids
        remote_id = link.remote_id
        # Someone edits the event in Google right after our pull read it: our etag is stale.
        self.google.patch_event(self.email, remote_id, {"location": "Changed in Google"})
        self.account.sync_cursor = self._current_sync_token()
        event.with_user(self.user).write({"name": "Etag guarded (Odoo)"})
        counts = self.sync()
        self.assertEqual(counts.conflicts, 1)
        conflict = self.env["calendar.sync.log"].search(
            [("account_id", "=", self.account.id), ("operation", "=", "conflict")]
        )
        self.assertEqual(len(conflict), 1, "each conflict counted is in the history")
        self.assertIn("both sides' changes were kept", conflict.message)
        self.sync()
        remote = self.google.get_event(self.email, remote_id)
        self.assertEqual(remote["summary"], "Etag guarded (Odoo)")
        self.assertEqual(remote["location"], "Changed in Google", "the remote edit is not lost")
        self.assertEqual(event.location, "Changed in Google")

    def _current_sync_token(self):
        """A sync token issued now: a pull with it will not see earlier remote edits."""
        return self.account._sync_connector().list_changes("").next_cursor

    def test_initial_push_goes_in_batches(self):
        self.env["ir.config_parameter"].set_param("calendar_sync.batch_size", 500)
        self.env["ir.config_parameter"].set_param("calendar_sync_google.batch_request_size", 50)
        for index in range(120):
            self.odoo_event(f"Bulk {index}", hours_from_now=24 + index)
        self.google.requests.clear()
        counts = self.sync()
        self.assertEqual(counts.pushed_created, 120)
        self.assertEqual(
            self.google.requests.count(method="POST", path_regex=r"^/batch/", in_batch=False), 3
        )
        self.assertEqual(len(self.google.events(self.email)), 120)

    def test_push_per_run_is_bounded_and_the_rest_follows(self):
        self.env["ir.config_parameter"].set_param("calendar_sync.batch_size", 3)
        for index in range(5):
            self.odoo_event(f"Queued {index}", hours_from_now=24 + index)
        self.sync()
        self.assertEqual((len(self.google.events(self.email)), self.account.queued_count), (3, 2))
        self.sync()
        self.assertEqual((len(self.google.events(self.email)), self.account.queued_count), (5, 0))
        creates = self.google.requests.filter(method="POST", in_batch=True)
        self.assertEqual(
            {req.arg("sendUpdates") for req in creates}, {"none"}, "no invitation storm"
        )

    def test_event_created_after_the_first_sync_invites_as_the_user_chose(self):
        self.sync()
        event = self.odoo_event("Fresh meeting")
        self.assertTrue(event.sudo().sync_link_ids.need_push, "queued when created")
        self.google.requests.clear()
        counts = self.sync()
        self.assertEqual(counts.pushed_created, 1)
        create = self.google.requests.filter(method="POST", in_batch=True)[-1]
        self.assertEqual(create.arg("sendUpdates"), "all")

    def test_failed_push_stays_queued(self):
        event = self.odoo_event("Unlucky")
        self.google.faults.backend_error(times=50, status=503, method="POST")
        self.sync()
        self.assertFalse(self.google.events(self.email))
        self.google.faults.clear()
        counts = self.sync()
        self.assertEqual(counts.pushed_created, 1)
        self.assertTrue(event.sudo().sync_link_ids.remote_id)

    def test_event_google_refuses_is_reported_and_does_not_block_the_rest(self):
        refused = self.odoo_event("Handed over")
        self.sync()
        link = refused.sudo().sync_link_ids
        self.refuse_updates(link.remote_id)
        refused.with_user(self.user).write({"name": "Handed over (edited)"})
        mine = self.odoo_event("Mine")
        counts = self.sync()
        self.assertEqual((counts.pushed_created, counts.errors), (1, 1))
        self.assertTrue(mine.sudo().sync_link_ids.remote_id)
        self.assertFalse(link.need_push, "not retried forever")
        self.assertIn("forbiddenForNonOrganizer", link.push_error)
        self.assertTrue(
            refused.message_ids.filtered(lambda m: "forbiddenForNonOrganizer" in str(m.body))
        )
        error_log = self.env["calendar.sync.log"].search(
            [("res_id", "=", refused.id), ("operation", "=", "error")]
        )
        self.assertIn("forbiddenForNonOrganizer", error_log.message)

    def test_tokens_travel_only_in_the_authorization_header(self):
        self.odoo_event("Private")
        self.remote_event()
        self.sync()
        self.assertTrue(self.google.requests)
        for request in self.google.requests:
            self.assertNotIn("access_token", request.query)
            if request.path.startswith("/calendar/") and not request.in_batch:
                self.assertTrue(request.headers.get("Authorization", "").startswith("Bearer "))


@tagged("post_install", "-at_install")
class TestGoogleCredentials(GoogleSyncCase):
    def test_expired_access_token_is_refreshed_and_rotated_refresh_token_kept(self):
        self.google.rotate_refresh_tokens = True
        self.google.expire_access_tokens(self.email)
        self.account.access_token_expiry = False
        self.remote_event()
        self.sync()
        self.assertNotEqual(self.account.refresh_token, self.refresh_token)
        self.assertTrue(self.google.valid_access_token(self.account.access_token))

    def enter_cron_mode(self):
        # The cron gives each account its own cursor; in tests they must share this transaction.
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)

    @mute_logger(ACCOUNT_LOGGER)  # the failed sync's WARNING line
    def test_cron_isolates_users(self):
        self.enter_cron_mode()
        bob = self.env["res.users"].create(
            {
                "name": "Bob",
                "login": "bob_cron",
                "email": "bob@example.com",
                "groups_id": [(4, self.ref("base.group_user"))],
            }
        )
        self.google.add_account("bob@example.com")
        _access, bob_refresh = self.google.issue_tokens("bob@example.com")
        bob_account = self.connect(bob, bob_refresh)
        self.google.revoke(self.refresh_token)
        self.account.access_token = False
        self.google.insert_event(
            "bob@example.com",
            {"summary": "Bob's", "start": google_time(self.now + dt.timedelta(hours=3)),
             "end": google_time(self.now + dt.timedelta(hours=4))},
        )  # fmt: skip
        self.env["calendar.sync.account"]._cron_sync("google")
        self.env.invalidate_all()
        self.assertEqual(self.account.state, "needs_reconnect")
        self.assertEqual(bob_account.state, "connected")
        self.assertTrue(self.env["calendar.event"].search([("name", "=", "Bob's")]))

    def test_paused_provider_is_skipped_by_the_cron(self):
        self.enter_cron_mode()
        self.env["ir.config_parameter"].set_param("calendar_sync_google.paused", "True")
        self.odoo_event("Waits for the pause to end")
        self.env["calendar.sync.account"]._cron_sync("google")
        self.assertFalse(self.google.events(self.email))
        self.env["ir.config_parameter"].set_param("calendar_sync_google.paused", "")
        self.env["calendar.sync.account"]._cron_sync("google")
        self.assertEqual(len(self.google.events(self.email)), 1)


@tagged("post_install", "-at_install")
class TestGoogleContractSync(SyncContract, GoogleSyncCase):
    """The sync contract every provider passes."""
