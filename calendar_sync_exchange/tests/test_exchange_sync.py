import datetime as dt
from unittest.mock import patch

from exchangelib.items import SEND_TO_NONE
from exchangelib.recurrence import DailyPattern, Recurrence

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ExchangeSyncCase, operations

RUNNER_LOGGER = "odoo.addons.calendar_sync_base.models.calendar_sync_runner"


@tagged("post_install", "-at_install")
class TestExchangeSync(ExchangeSyncCase):
    def guest(self):
        return self.env["res.partner"].create({"name": "Bob", "email": "bob@example.com"})

    def test_first_sync_sends_no_invitation_then_the_users_choice(self):
        event = self.odoo_event("Design review", partner_ids=[(4, self.guest().id)])
        counts = self.sync()
        self.assertEqual(counts.pushed_created, 1)
        [create] = operations(self.ews, "CreateItem")
        self.assertIn(b'SendMeetingInvitations="SendToNone"', create.body)
        self.assertEqual(self.ews.messages_sent, [], "no invitation storm on a first sync")
        item = self.item(event.sudo().sync_link_ids.remote_id)
        self.assertIn("bob@example.com", [a.mailbox.email_address for a in item.required_attendees])

        event.with_user(self.user).write({"name": "Design review (moved)"})
        self.sync()
        self.assertEqual(
            [(m["kind"], m["recipients"]) for m in self.ews.messages_sent],
            [("update", ["bob@example.com"])],
            "later changes follow Send Invitations (all guests)",
        )

    def test_two_way_edits_and_deletions(self):
        remote_id = self.new_remote("Planning")
        mine = self.odoo_event("Mine")
        self.sync()
        planning = self.linked(remote_id)
        self.assertEqual(planning.name, "Planning")
        self.assertEqual(self.remote_titles(), ["Mine", "Planning"])

        self.set_remote_title(remote_id, "Planning (moved)")
        mine.with_user(self.user).write({"name": "Mine (renamed)"})
        counts = self.sync()
        self.assertEqual((counts.pulled_updated, counts.pushed_updated), (1, 1))
        self.assertEqual(planning.name, "Planning (moved)")
        self.assertEqual(self.remote_titles(), ["Mine (renamed)", "Planning (moved)"])

        self.delete_remote(remote_id)
        mine_id = mine.sudo().sync_link_ids.remote_id
        mine.with_user(self.user).unlink()
        counts = self.sync()
        self.assertEqual((counts.pulled_deleted, counts.pushed_deleted), (1, 1))
        self.assertFalse(planning.active)
        self.assertFalse(self.remote_exists(mine_id))

    def test_a_series_with_a_moved_and_a_deleted_occurrence_both_ways(self):
        start = dt.datetime(2030, 3, 4, 9, tzinfo=dt.timezone.utc)
        master = self.remote_event(
            "Stand-up",
            hours_from_now=(start - self.now).total_seconds() / 3600,
            recurrence=Recurrence(pattern=DailyPattern(interval=1), start=start.date(), number=4),
        )
        self.sync()
        moved = master.occurrence(2)
        moved.refresh()
        moved.subject = "Stand-up (later)"
        moved.start += dt.timedelta(hours=3)
        moved.end += dt.timedelta(hours=3)
        moved.save(update_fields=["subject", "start", "end"], send_meeting_invitations=SEND_TO_NONE)
        deleted = master.occurrence(3)
        deleted.refresh()
        deleted.delete(send_meeting_cancellations=SEND_TO_NONE)
        self.sync()
        recurrence = self.linked(master.id)
        self.assertEqual(recurrence._name, "calendar.recurrence")
        events = recurrence.calendar_event_ids.sorted("start")
        self.assertEqual(
            [(e.name, e.start) for e in events],
            [
                ("Stand-up", dt.datetime(2030, 3, 4, 9)),
                ("Stand-up (later)", dt.datetime(2030, 3, 5, 12)),
                ("Stand-up", dt.datetime(2030, 3, 7, 9)),
            ],
        )
        # Odoo's side: the last occurrence edited alone becomes an exception in Exchange.
        events[2].with_user(self.user).write({"name": "Last one"})
        self.sync()
        master = self.item(master.id)
        modified = list(master.modified_occurrences or ())
        self.assertEqual((len(modified), len(master.deleted_occurrences or ())), (2, 1))
        subjects = [self.item(occurrence.id).subject for occurrence in modified]
        self.assertEqual(sorted(subjects), ["Last one", "Stand-up (later)"])

    def test_invalid_sync_state_resyncs_without_duplicates_or_deletions(self):
        kept = self.remote_event("Kept")
        local = self.odoo_event("Local only")
        self.sync()
        self.ews.invalidate_sync_states(self.email)
        kept.location = "New room"
        kept.save(update_fields=["location"], send_meeting_invitations=SEND_TO_NONE)
        with mute_logger(RUNNER_LOGGER):
            self.sync()
        events = self.env["calendar.event"].search([("name", "in", ("Kept", "Local only"))])
        self.assertEqual(len(events), 2)
        self.assertTrue(local.active)
        self.assertEqual(self.linked(kept.id).location, "New room")
        self.assertEqual(self.remote_titles(), ["Kept", "Local only"])

    def test_a_busy_server_is_waited_for_as_it_asks(self):
        self.odoo_event("Pushed anyway")
        self.sync()  # learns the server's version and the calendar folder
        self.odoo_event("Second")
        self.ews.faults.server_busy(back_off_ms=50, times=1)
        counts = self.sync()
        self.assertEqual(counts.pushed_created, 1)
        self.assertEqual([request.status for request in self.ews.requests].count(500), 1)
        self.assertEqual(self.remote_titles(), ["Pushed anyway", "Second"])

    def test_a_stale_change_key_is_merged_by_policy_not_overwritten(self):
        """Outlook changes the item between the sync's pull and its push: the push's change
        key is stale, Exchange refuses it (ErrorIrresolvableConflict), and the merge keeps
        Outlook's other edit while the policy settles the field both changed."""
        self.env["ir.config_parameter"].set_param("calendar_sync.conflict_policy", "odoo")
        event = self.odoo_event("Budget")
        self.sync()
        remote_id = event.sudo().sync_link_ids.remote_id
        event.with_user(self.user).write({"name": "Budget (Odoo)"})
        Account = type(self.env["calendar.sync.account"])
        push = Account._sync_push

        def outlook_edits_first(account, *args):
            item = self.item(remote_id)
            item.subject, item.location = "Budget (Outlook)", "Room 7"
            item.save(update_fields=["subject", "location"], send_meeting_invitations=SEND_TO_NONE)
            self.ews.requests.clear()
            return push(account, *args)

        with patch.object(Account, "_sync_push", outlook_edits_first):
            counts = self.sync()
        self.assertEqual(counts.conflicts, 1)
        answers = [r.context["response_body"] for r in operations(self.ews, "UpdateItem")]
        self.assertIn(b"ErrorIrresolvableConflict", answers[0], "refused, not overwritten")
        self.sync()  # the merge's outcome goes out with the current change key
        item = self.item(remote_id)
        self.assertEqual((item.subject, item.location), ("Budget (Odoo)", "Room 7"))
        self.assertEqual((event.name, event.location), ("Budget (Odoo)", "Room 7"))
