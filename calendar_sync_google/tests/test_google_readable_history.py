from odoo.tests import tagged

from .common import GoogleSyncCase


@tagged("post_install", "-at_install")
class TestGoogleReadableHistory(GoogleSyncCase):
    """The sync history as a user reads it: labels, their time zone, titles, plain words."""

    def entries(self, **domain):
        return self.env["calendar.sync.log"].search(
            [("account_id", "=", self.account.id)] + [(k, "=", v) for k, v in domain.items()]
        )

    def test_a_first_sync_is_one_summary_entry_with_its_details(self):
        for title in ("One", "Two", "Three"):
            self.new_remote(title)
        self.sync()
        summary = self.entries(parent_id=False, direction="pull")
        self.assertEqual(summary.operation, "import")
        self.assertEqual(summary.display_name, "First Synchronization: 3 events")
        self.assertEqual(sorted(summary.detail_ids.mapped("record_name")), ["One", "Three", "Two"])
        self.new_remote("Later")
        self.sync()
        later = self.entries(record_name="Later")
        self.assertEqual((later.operation, later.parent_id), ("create", summary.browse()))

    def test_a_change_reads_with_labels_in_the_users_time_zone(self):
        self.sync()
        remote_id = self.new_remote("Moved")
        self.sync()
        self.google.patch_event(
            self.email,
            remote_id,
            {
                "start": {"dateTime": "2030-01-07T13:00:00Z"},
                "end": {"dateTime": "2030-01-07T14:00:00Z"},
            },
        )
        self.sync()
        update = self.history(self.linked(remote_id), "update")
        self.assertEqual(update.display_name, "Updated: Moved")
        start = update.line_ids.filtered(lambda line: line.field_name == "start")
        self.assertEqual(start.field_label, "Start")
        self.assertIn("2:00:00 PM", start.new_value, "Brussels time, not UTC")

    def test_a_series_is_named_by_its_title_not_its_rule(self):
        self.sync()
        series = self.remote_event(
            summary="Weekly sync",
            start={"dateTime": "2030-01-07T09:00:00", "timeZone": "Europe/Brussels"},
            end={"dateTime": "2030-01-07T10:00:00", "timeZone": "Europe/Brussels"},
            recurrence=["RRULE:FREQ=WEEKLY;COUNT=5"],
        )
        self.sync()
        recurrence = self.linked(series["id"])
        self.assertEqual(self.history(recurrence, "create").record_name, "Weekly sync")

    def test_a_pushed_deletion_keeps_the_events_name(self):
        event = self.odoo_event("Short-lived")
        self.sync()
        event.unlink()
        self.sync()
        deletion = self.entries(direction="push", operation="delete")
        self.assertEqual(deletion.record_name, "Short-lived")
        self.assertEqual(deletion.display_name, "Deleted: Short-lived")

    def test_a_link_says_why_in_plain_words(self):
        event = self.odoo_event("Already both sides", hours_from_now=24)
        self.remote_event(summary="Already both sides", hours_from_now=24)
        self.sync()
        link = self.history(event, "link")
        self.assertEqual(
            link.message,
            "An Odoo event with the same title and time was already there: linked, not copied.",
        )

    def test_chatter_uses_labels_and_says_what_was_reverted(self):
        self.sync()
        remote_id = self.new_remote("Budget")
        self.sync()
        self.set_remote_title(remote_id, "Budget (cut)")
        self.sync()
        event = self.linked(remote_id)
        self.history(event, "update").with_user(self.user).action_revert()
        bodies = event.message_ids.mapped("body")
        self.assertIn("Google sync: updated (Meeting Subject)", bodies[1])
        self.assertIn("Google sync change reverted by", bodies[0])
        self.assertIn("Updated: Budget (cut)", bodies[0])
