from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_history import HistoryContract

from .common import GoogleSyncCase


@tagged("post_install", "-at_install")
class TestGoogleHistory(HistoryContract, GoogleSyncCase):
    def test_pulled_changes_leave_a_line_in_the_chatter(self):
        remote = self.remote_event(summary="Chatty")
        self.sync()
        event = self.linked(remote["id"])
        # A pulled creation is in the sync history only: a first sync brings thousands.
        self.assertFalse(event.message_ids, "no chatter message for a pulled creation")
        self.assertEqual(event.message_partner_ids, event.partner_ids, "its attendees follow it")
        self.assertTrue(self.history(event, "create"))
        self.google.patch_event(self.email, remote["id"], {"location": "Room 9"})
        self.sync()
        bodies = [str(message.body) for message in event.message_ids]
        self.assertTrue(any("Google sync: updated (Location)" in body for body in bodies), bodies)

    def test_history_older_than_the_retention_is_purged(self):
        self.remote_event(summary="Old news")
        self.remote_event(summary="Fresh news", hours_from_now=30)
        self.sync()
        logs = self.env["calendar.sync.log"].search(
            [("account_id", "=", self.account.id), ("operation", "=", "create")], order="id"
        )
        self.assertEqual(len(logs), 2)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE calendar_sync_log SET create_date = now() - interval '100 days' WHERE id = %s",
            [logs[0].id],
        )
        self.env.invalidate_all()
        self.env["calendar.sync.log"]._gc_history()
        self.assertFalse(logs[0].exists())
        self.assertTrue((logs - logs[0]).exists())
