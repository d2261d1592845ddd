"""Contract suite: a long remote listing pulled page by page by the scheduled action."""

import contextlib
import json
from unittest.mock import patch

from .common import WorkerKilled


class PagedPullContract:
    """A long remote listing, pulled by the scheduled action one committed page at a time."""

    allow_inherited_tests_method = True

    def setUp(self):
        super().setUp()
        # The cron gives each account its own cursors; in tests they share this transaction.
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        self.env["ir.config_parameter"].sudo().set_param("calendar_sync.page_size", "2")
        self.remote_ids = [
            self.new_remote(f"Remote {number}") for number in range(1, 6)
        ]  # three pages
        self.env["bus.bus"].sudo().search([]).unlink()

    def run_cron(self):
        self.env["calendar.sync.account"]._cron_sync(self.account.provider)
        self.env.invalidate_all()

    def pulled_titles(self):
        links = self.env["calendar.sync.link"].search([("account_id", "=", self.account.id)])
        self.assertCountEqual(links.mapped("remote_id"), set(links.mapped("remote_id")))
        return sorted(links.event_id.mapped("name"))

    def bus_types(self):
        messages = [json.loads(message.message) for message in self.env["bus.bus"].search([])]
        return [message["type"] for message in messages]

    def panel_progress(self):
        [entry] = self.account.with_user(self.user).get_sync_panel_state()
        return entry["progress"]

    def test_a_long_listing_is_pulled_page_by_page_with_progress(self):
        self.run_cron()
        self.assertEqual(self.pulled_titles(), [f"Remote {number}" for number in range(1, 6)])
        self.assertEqual(len(self.listings()), 3)
        self.assertFalse(self.account.sudo().sync_page_token)
        self.assertTrue(self.account.sudo().sync_cursor)
        self.assertTrue(self.account.first_sync_done)
        # One progress message per page with more to come, then the end of the first sync.
        types = self.bus_types()
        self.assertEqual(types.count("calendar_sync/progress"), 2)
        self.assertEqual(types.count("simple_notification"), 1)
        self.assertEqual(self.panel_progress(), "")

    def test_a_first_sync_backlog_shows_n_of_m_then_what_it_did(self):
        self.env["ir.config_parameter"].sudo().set_param("calendar_sync.batch_size", "2")
        for number in range(1, 4):
            self.odoo_event(f"Odoo {number}", hours_from_now=100 + number)
        self.sync()
        self.assertEqual(self.panel_progress(), "First sync: 2 of 3")
        self.assertIn("calendar_sync/progress", self.bus_types())
        self.assertNotIn("simple_notification", self.bus_types())
        self.sync()
        self.assertEqual(self.panel_progress(), "")
        [done] = [
            json.loads(message.message)["payload"]["message"]
            for message in self.env["bus.bus"].search([])
            if json.loads(message.message)["type"] == "simple_notification"
        ]
        self.assertTrue(done.endswith(" connected: 5 events imported, 3 sent"), done)
        self.sync()
        self.assertEqual(self.bus_types().count("simple_notification"), 1, "said once")

    def test_a_crash_between_pages_resumes_from_the_last_committed_page(self):
        Account = type(self.env["calendar.sync.account"])
        pull_page = Account._sync_pull_page
        pages = []

        def crash_on_the_second_page(account, *args):
            pages.append(account.id)
            if len(pages) == 2:
                raise WorkerKilled
            return pull_page(account, *args)

        # Not assertRaises: it rolls back what its block did, the committed page too.
        with (
            patch.object(Account, "_sync_pull_page", crash_on_the_second_page),
            contextlib.suppress(WorkerKilled),
        ):
            self.run_cron()
        self.assertEqual(len(pages), 2, "the worker died on the second page")
        self.env.invalidate_all()
        self.assertEqual(len(self.pulled_titles()), 2, "page 1 committed")
        self.assertTrue(self.account.sudo().sync_page_token)
        self.assertFalse(self.account.first_sync_done)
        self.assertEqual(self.panel_progress(), "First sync: 2 events so far")

        self.forget_requests()
        self.run_cron()
        self.assertEqual(self.pulled_titles(), [f"Remote {number}" for number in range(1, 6)])
        listings = self.listings()
        self.assertEqual(len(listings), 2, "pages 2 and 3 only")
        self.assertTrue(self.resumed(listings[0]))
        self.assertTrue(self.account.first_sync_done)
        [summary] = self.env["calendar.sync.log"].search(
            [("account_id", "=", self.account.id), ("operation", "=", "import")]
        )
        self.assertEqual(len(summary.detail_ids), 5, "the resumed listing's entry, not a new one")
