import re

from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_paged_pull import PagedPullContract

from .common import MicrosoftSyncCase


@tagged("post_install", "-at_install")
class TestMicrosoftPagedPull(PagedPullContract, MicrosoftSyncCase):
    def test_a_page_left_incomplete_is_read_again_by_the_next_run(self):
        """A removal Graph cannot confirm now (a transient failure) on a page of a long
        listing: the run stops there, keeps its cursor, and the next run reads it again."""
        self.run_cron()
        cursor = self.account.sudo().sync_cursor
        gone = self.remote_ids[0]
        event = self.linked(gone)
        self.microsoft.delete_event(self.email, gone)
        for number in range(6, 10):
            self.new_remote(f"Remote {number}")
        outage = self.microsoft.faults.add(
            status=503, retry_after=0, times=None, path_regex=re.escape(gone)
        )
        self.run_cron()
        self.assertTrue(event.active, "not confirmed: not applied yet")
        self.assertEqual(self.account.sudo().sync_cursor, cursor, "the changes are read again")
        self.assertFalse(self.account.sudo().sync_page_token)
        self.microsoft.faults.remove(outage)
        self.account.last_attempt_date = False  # its regular turn has come
        self.run_cron()
        self.assertFalse(event.active)
        self.assertEqual(len(self.pulled_titles()), 8, "4 new, 1 deleted")
        self.assertNotEqual(self.account.sudo().sync_cursor, cursor)
