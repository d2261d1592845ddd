from odoo.tests import tagged

from .common import GoogleSyncCase


@tagged("post_install", "-at_install")
class TestGoogleHistory(GoogleSyncCase):
    def pulled_log(self, event, operation):
        return self.env["calendar.sync.log"].search(
            [("res_id", "=", event.id), ("operation", "=", operation), ("direction", "=", "pull")],
            limit=1,
        )

    def test_revert_of_a_pulled_update_restores_and_pushes_the_old_values(self):
        remote = self.remote_event(summary="Budget", location="Room 1")
        self.sync()
        event = self.linked(remote["id"])
        self.google.patch_event(self.email, remote["id"], {"summary": "Budget (cut)"})
        self.sync()
        log = self.pulled_log(event, "update")
        self.assertEqual(
            [(line.field_name, line.old_value, line.new_value) for line in log.line_ids],
            [("name", "Budget", "Budget (cut)")],
        )
        self.assertTrue(log.can_revert)
        log.action_revert()
        self.assertEqual(event.name, "Budget")
        self.assertTrue(log.reverted)
        self.assertFalse(log.can_revert, "a change is reverted once")
        self.sync()
        self.assertEqual(self.google.get_event(self.email, remote["id"])["summary"], "Budget")

    def test_revert_of_a_pulled_creation_archives_it(self):
        remote = self.remote_event(summary="Spam invite")
        self.sync()
        event = self.linked(remote["id"])
        self.pulled_log(event, "create").action_revert()
        self.assertFalse(event.active)
        self.sync()
        self.assertEqual(self.google.get_event(self.email, remote["id"])["status"], "cancelled")

    def test_revert_of_a_pulled_deletion_restores_the_event_everywhere(self):
        remote = self.remote_event(summary="Deleted by mistake")
        self.sync()
        event = self.linked(remote["id"])
        self.google.delete_event(self.email, remote["id"])
        self.sync()
        self.assertFalse(event.active)
        self.pulled_log(event, "delete").action_revert()
        self.assertTrue(event.active)
        self.sync()
        live = [item["summary"] for item in self.google.events(self.email)]
        self.assertEqual(live, ["Deleted by mistake"])

    def test_pulled_changes_leave_a_line_in_the_chatter(self):
        remote = self.remote_event(summary="Chatty")
        self.sync()
        event = self.linked(remote["id"])
        self.google.patch_event(self.email, remote["id"], {"location": "Room 9"})
        self.sync()
        bodies = [str(message.body) for message in event.message_ids]
        self.assertTrue(any("Google sync: created" in body for body in bodies), bodies)
        self.assertTrue(any("Google sync: updated (location)" in body for body in bodies), bodies)

    def test_history_older_than_the_retention_is_purged(self):
        self.remote_event(summary="Old news")
        self.remote_event(summary="Fresh news", hours_from_now=30)
        self.sync()
        logs = self.env["calendar.sync.log"].search(
            [("account_id", "=", self.account.id)], order="id"
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
