"""Contract suite: the two-way sync of one user's calendar, as every provider must do it
(through the adapter of ``SyncCaseMixin``; a provider's test case mixes it in)."""

import datetime as dt

from odoo.tools import mute_logger

from .common import ACCOUNT_LOGGER, requires

RUNNER_LOGGER = "odoo.addons.calendar_sync_base.models.calendar_sync_runner"


class SyncContract:
    """Pull, push, first-sync matching, conflicts, invitations and a lost grant."""

    allow_inherited_tests_method = True  # Odoo's loader runs only a class's own tests else

    def test_pull_maps_every_field(self):
        remote_id = self.new_full_remote()
        counts = self.sync()
        self.assertEqual(counts.pulled_created, 1)
        event = self.linked(remote_id)
        self.assertEqual(event.name, "Quarterly review")
        self.assertIn("<b>numbers</b>", str(event.description))
        self.assertEqual(
            (event.location, event.privacy, event.show_as), ("Room 4", "private", "free")
        )
        self.assertEqual(event.user_id, self.user)
        bob = event.partner_ids.filtered(lambda p: p.email == "bob@example.org")
        self.assertEqual(bob.name, "Bob")
        states = {a.partner_id.email: a.state for a in event.attendee_ids}
        self.assertEqual(states["bob@example.org"], "tentative")
        self.assertEqual(event.alarm_ids.mapped("duration_minutes"), [15])

    @requires("maps_video_links")
    def test_pull_maps_the_video_call_link(self):
        remote_id = self.new_full_remote()
        self.sync()
        self.assertTrue(self.linked(remote_id).videocall_location.startswith("https://"))

    def test_incremental_pull_goes_on_from_the_cursor(self):
        remote_id = self.new_remote("Planning")
        self.sync()
        self.set_remote_title(remote_id, "Planning (moved)")
        self.forget_requests()
        counts = self.sync()
        listings = self.listings()
        self.assertTrue(listings)
        self.assertTrue(all(self.incremental(listing) for listing in listings))
        self.assertEqual(counts.pulled_updated, 1)
        self.assertEqual(self.linked(remote_id).name, "Planning (moved)")

    @requires("relists_periodically")
    def test_old_cursor_is_restarted_by_a_full_listing_without_duplicates(self):
        """Past the provider's ``_sync_cursor_max_age`` a cursor is dropped for a full
        listing; a provider without one (None) goes on from any cursor, however old."""
        max_age = self.account._sync_provider()._sync_cursor_max_age
        self.new_remote("Steady")
        self.sync()
        started = dt.datetime.now() - (max_age or dt.timedelta(days=400)) - dt.timedelta(days=1)
        self.account.cursor_started = started
        self.forget_requests()
        self.sync()
        listings = self.listings()
        self.assertTrue(listings)
        incremental = [self.incremental(listing) for listing in listings]
        self.assertEqual(self.env["calendar.event"].search_count([("name", "=", "Steady")]), 1)
        if max_age is None:
            self.assertTrue(all(incremental), "no maximum age: the cursor goes on")
            self.assertEqual(self.account.cursor_started, started)
            return
        self.assertFalse(any(incremental), "a full one")
        self.assertGreater(self.account.cursor_started, dt.datetime.now() - dt.timedelta(hours=1))

    def test_remote_deletion_archives_the_odoo_event(self):
        remote_id = self.new_remote("Remote meeting")
        self.sync()
        event = self.linked(remote_id)
        self.delete_remote(remote_id)
        counts = self.sync()
        self.assertEqual(counts.pulled_deleted, 1)
        self.assertFalse(event.active)
        self.assertTrue(self.history(event, "delete"))

    def test_expired_cursor_resyncs_without_duplicates_or_deletions(self):
        kept = self.new_remote("Kept")
        local = self.odoo_event("Local only")
        self.sync()
        self.expire_cursor()
        self.set_remote_location(kept, "New room")
        with mute_logger(RUNNER_LOGGER):
            self.sync()
        events = self.env["calendar.event"].search([("name", "in", ("Kept", "Local only"))])
        self.assertEqual(len(events), 2, "no duplicate after the full resync")
        self.assertTrue(local.active)
        self.assertEqual(self.linked(kept).location, "New room")
        self.assertEqual(self.remote_titles(), ["Kept", "Local only"])

    def test_first_sync_links_existing_events_instead_of_duplicating(self):
        local = self.odoo_event("Budget", hours_from_now=30)
        remote_id = self.new_remote("  budget ", hours_from_now=30)
        counts = self.sync()
        self.assertEqual(counts.linked, 1)
        self.assertIn(
            "1 linked", self.account._sync_summary(counts), "the user is told how many were linked"
        )
        self.assertEqual(self.linked(remote_id), local)
        self.assertEqual(len(self.remote_titles()), 1)
        self.assertEqual(
            self.env["calendar.event"].search_count([("id", "!=", 0), ("name", "ilike", "budget")]),
            1,
        )

    def test_first_sync_merges_a_linked_pair_by_the_rule_and_says_so(self):
        # With no earlier sync, no side is known to have changed: the copy changed last wins
        # (not a stale one), and the history says why.
        local = self.odoo_event("Budget", hours_from_now=30, location="Room A")
        remote_id = self.new_remote("Budget", hours_from_now=30)
        self.set_remote_location(remote_id, "Room B")
        self.sync()
        self.assertEqual(self.linked(remote_id), local)
        self.assertEqual((local.location, self.remote_location(remote_id)), ("Room B", "Room B"))
        [conflict] = self.history(local, "conflict")
        self.assertEqual(conflict.conflict_winner, "remote")
        self.assertIn("Room A", conflict.line_ids.mapped("old_value"))
        self.assertIn("The first synchronization found different values", conflict.message)

    def test_first_sync_does_not_link_near_duplicates(self):
        self.odoo_event("Budget review", hours_from_now=30)
        self.new_remote("Budget review", hours_from_now=31)
        self.new_remote("Budget reviews", hours_from_now=30)
        counts = self.sync()
        self.assertEqual(counts.linked, 0)
        self.assertEqual(counts.pulled_created, 2)
        self.assertEqual(len(self.remote_titles()), 3, "the local one is pushed")

    def test_push_create_update_delete(self):
        event = self.odoo_event("Design review")
        counts = self.sync()
        self.assertEqual(counts.pushed_created, 1)
        link = event.sudo().sync_link_ids
        self.assertEqual(self.remote_title(link.remote_id), "Design review")

        event.with_user(self.user).write({"name": "Design review v2"})
        self.assertTrue(link.need_push)
        counts = self.sync()
        self.assertEqual(counts.pushed_updated, 1)
        self.assertEqual(self.remote_title(link.remote_id), "Design review v2")

        remote_id = link.remote_id
        event.with_user(self.user).unlink()
        counts = self.sync()
        self.assertEqual(counts.pushed_deleted, 1)
        self.assertFalse(self.remote_exists(remote_id))
        self.assertFalse(link.exists())

    def test_archiving_cancels_the_remote_event(self):
        event = self.odoo_event("Archived soon")
        self.sync()
        remote_id = event.sudo().sync_link_ids.remote_id
        event.with_user(self.user).active = False
        self.sync()
        self.assertFalse(self.remote_exists(remote_id))

    def test_own_push_coming_back_is_not_applied_again(self):
        self.odoo_event("Echo")
        self.sync()
        logs_before = self.env["calendar.sync.log"].search_count([])
        counts = self.sync()
        self.assertEqual((counts.pulled_updated, counts.pushed_updated), (0, 0))
        self.assertEqual(self.env["calendar.sync.log"].search_count([]), logs_before)

    def test_throttled_pushes_are_retried(self):
        self.odoo_event("Throttled one")
        self.odoo_event("Fine one", hours_from_now=60)
        self.throttle_next_push()
        counts = self.sync()
        self.assertEqual(counts.pushed_created, 2)
        self.assertEqual(self.remote_titles(), ["Fine one", "Throttled one"])

    def test_create_whose_commit_was_lost_is_adopted_not_duplicated(self):
        event = self.odoo_event("Crash victim")
        self.sync()
        # A crash after the remote create, before Odoo committed: the link is still pending.
        event.sudo().sync_link_ids.write(
            {"remote_id": False, "etag": False, "snapshot": False, "need_push": True}
        )
        self.sync()
        self.assertEqual(self.remote_titles(), ["Crash victim"])
        self.assertEqual(len(event.sudo().sync_link_ids), 1)

    def test_concurrent_remote_edit_is_merged_not_overwritten(self):
        event = self.odoo_event("Shared agenda", location="Room A")
        self.sync()
        remote_id = event.sudo().sync_link_ids.remote_id
        # Both sides change different fields between two syncs: both changes survive.
        self.set_remote_title(remote_id, "Shared agenda (remote)")
        event.with_user(self.user).write({"location": "Room B"})
        counts = self.sync()
        self.assertEqual(event.name, "Shared agenda (remote)")
        self.assertEqual(self.remote_location(remote_id), "Room B")
        self.assertEqual(self.remote_title(remote_id), "Shared agenda (remote)")
        self.assertGreaterEqual(counts.pulled_updated, 1)

    def test_conflict_policy_odoo_wins(self):
        self.assertEqual(self.contest("odoo"), ("Odoo title", "Odoo title"))

    def test_conflict_policy_remote_wins(self):
        self.assertEqual(self.contest("remote"), ("Remote title", "Remote title"))

    def test_answer_given_in_odoo_reaches_the_organizer_copy(self):
        remote_id = self.new_invitation("Board meeting", "boss@example.com", hours_from_now=30)
        self.sync()
        event = self.linked(remote_id)
        self.assertFalse(event.user_id, "organized outside Odoo")
        mine = event.attendee_ids.filtered(lambda a: a.partner_id == self.user.partner_id)
        mine.with_user(self.user).do_accept()
        counts = self.sync()
        self.assertEqual(counts.errors, 0, event.sudo().sync_link_ids.push_error)
        self.assertEqual(self.my_remote_answer(remote_id), "accepted")
        self.assertFalse(event.sudo().sync_link_ids.need_push)

    def test_local_edit_of_someone_elses_event_is_not_pushed(self):
        remote_id = self.new_invitation("Their event", "boss@example.com", hours_from_now=40)
        self.sync()
        self.linked(remote_id).write({"name": "My own title"})
        self.forget_requests()
        self.sync()
        self.assertEqual(self.updates_sent(), 0)
        self.assertEqual(self.remote_title(remote_id), "Their event")

    @mute_logger(ACCOUNT_LOGGER)  # the failed sync's WARNING line
    def test_revoked_grant_marks_needs_reconnect_and_notifies(self):
        self.revoke_grant()
        counts = self.sync(expect_ok=False)
        self.assertIsNone(counts)
        self.assertEqual(self.account.state, "needs_reconnect")
        self.assertIn("reconnect", self.account.last_error)
        error_log = self.env["calendar.sync.log"].search(
            [("account_id", "=", self.account.id), ("operation", "=", "error")]
        )
        self.assertIn(self.revoked_grant_detail, error_log.message, "the detail stays")
        notified = self.env["mail.message"].search(
            [
                ("partner_ids", "in", self.user.partner_id.ids),
                ("subject", "=", "Reconnect your calendar"),
            ]
        )
        self.assertTrue(notified)
