import datetime as dt
import signal
import threading
import time

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.common import ACCOUNT_LOGGER, WorkerKilled, make_user
from odoo.addons.calendar_sync_base.tests.contract_cron_budget import CronBudgetContract

from .common import GoogleSyncCase, google_time

# Seconds the slow account's provider takes to answer: longer than any budget below.
LATENCY = 4.0


@tagged("post_install", "-at_install")
class TestGoogleCronBudget(CronBudgetContract, GoogleSyncCase):
    """One slow account beside healthy ones, under a small cron time budget."""

    def setUp(self):
        super().setUp()
        self.cron = self.env.ref("calendar_sync_google.calendar_sync_google_cron_sync")
        self.remote_event(summary="Alice's meeting")
        self.bob = self.healthy_account("bob")
        self.carol = self.healthy_account("carol")

    def healthy_account(self, login):
        user = make_user(self.env, f"{login}_cron")
        email = user.email
        self.google.add_account(email)
        start = self.now + dt.timedelta(hours=24)
        self.google.insert_event(
            email,
            {
                "summary": f"{login} meeting",
                "start": google_time(start),
                "end": google_time(start + dt.timedelta(hours=1)),
            },
        )
        access_token, refresh_token = self.google.issue_tokens(email)
        return self.connect(user, refresh_token, access_token)

    def set_budget(self, run, account):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("calendar_sync.cron_time_budget", str(run))
        params.set_param("calendar_sync.account_time_budget", str(account))

    def make_slow(self, account=None, **match):
        """Every request of ``account`` (default: the user's; or those matching ``match``)
        waits LATENCY first."""
        return self.google.faults.add(
            latency=LATENCY,
            times=None,
            request_headers={"Authorization": f"Bearer {(account or self.account).access_token}"},
            **match,
        )

    def make_fast(self, handle):
        self.google.faults.remove(handle)

    def run_cron(self):
        """The scheduled action as Odoo's cron runner calls it: with its id and a progress
        record in the context. Returns the progress record and the seconds the run took."""
        cron, progress = self.cron._add_progress()
        accounts = self.env["calendar.sync.account"].with_context(
            cron.env.context, cron_id=self.cron.id
        )
        started = time.monotonic()
        accounts._cron_sync("google")
        elapsed = time.monotonic() - started
        self.env.invalidate_all()
        return progress, elapsed

    def next_scheduled_run(self):
        """The run an interval later: a woken run right after would leave the account that
        just failed alone (its turn has not come)."""
        self.env["calendar.sync.account"].search([]).last_attempt_date = fields.Datetime.subtract(
            fields.Datetime.now(), minutes=5
        )
        return self.run_cron()

    def pulled(self, title):
        return self.env["calendar.event"].search_count([("name", "=", title)])

    def triggered(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])

    @mute_logger(ACCOUNT_LOGGER)  # the failed sync's WARNING line
    def test_slow_account_is_stopped_within_its_budget_and_the_others_sync(self):
        self.set_budget(run=8, account=2)
        self.make_slow(self.account)
        progress, elapsed = self.run_cron()
        self.assertLess(elapsed, 8, "the run ended within its budget")
        self.assertEqual(self.account.state, "connected", "slowness is temporary")
        self.assertEqual(
            self.account.last_error,
            "The remote server answered too slowly; the synchronization was stopped after "
            "2 seconds and will continue on the next run.",
        )
        self.assertFalse(self.pulled("Alice's meeting"))
        for account, title in ((self.bob, "bob meeting"), (self.carol, "carol meeting")):
            self.assertEqual(account.state, "connected")
            self.assertEqual(self.pulled(title), 1)
        self.assertEqual((progress.done, progress.remaining), (3, 0))
        self.assertFalse(self.triggered(), "every account was reached")
        panel = self.env["calendar.sync.account"].with_user(self.user).get_sync_panel_state()
        self.assertEqual(
            [(entry["state"], entry["error"]) for entry in panel if entry["provider"] == "google"],
            [("connected", self.account.last_error)],
        )

        self.google.faults.clear()  # fast again: the next run does what was left
        self.next_scheduled_run()
        self.assertEqual(self.account.state, "connected")
        self.assertFalse(self.account.last_error)
        self.assertEqual(self.pulled("Alice's meeting"), 1)

    @mute_logger(ACCOUNT_LOGGER)  # the failed sync's WARNING line
    def test_push_cut_off_mid_answer_is_neither_lost_nor_doubled(self):
        """The batch reaches Google, which applies it after the client gave up: the next run
        finds the copy by its Odoo id instead of creating a second one."""
        event = self.odoo_event("Pushed while slow")
        self.set_budget(run=8, account=2)
        self.make_slow(self.account, path_regex="^/batch/")
        self.run_cron()
        self.assertEqual(self.account.state, "connected", "slowness is temporary")
        self.assertFalse(event.sudo().sync_link_ids.remote_id, "the cut-off push was undone")
        self.wait_for_remote("Pushed while slow")

        self.google.faults.clear()
        self.next_scheduled_run()
        self.assertEqual(self.account.state, "connected")
        remote = [e for e in self.google.events(self.email) if e["summary"] == "Pushed while slow"]
        self.assertEqual(len(remote), 1)
        self.assertEqual(event.sudo().sync_link_ids.remote_id, remote[0]["id"])
        self.assertEqual(self.pulled("Alice's meeting"), 1)
        self.assertEqual(self.pulled("Pushed while slow"), 1)

    def wait_for_remote(self, title):
        """Until the emulator, done waiting, has applied the batch the client gave up on."""
        until = time.monotonic() + LATENCY + 5
        while time.monotonic() < until:
            if any(e["summary"] == title for e in self.google.events(self.email)):
                return
            time.sleep(0.1)
        self.fail(f"{title!r} never reached the emulator")

    def test_accounts_not_reached_go_to_a_run_triggered_at_once(self):
        self.set_budget(run=2, account=2)  # room for one account per run
        progress, _elapsed = self.run_cron()
        self.assertEqual((progress.done, progress.remaining), (1, 0))
        self.assertEqual(self.triggered(), 1, "the rest is left to a run triggered now")
        self.assertEqual(self.pulled("Alice's meeting"), 1)
        self.assertFalse(self.pulled("bob meeting") or self.pulled("carol meeting"))
        self.run_cron()
        self.assertEqual(self.pulled("bob meeting"), 1)
        self.assertFalse(self.pulled("carol meeting"))
        self.run_cron()
        self.assertEqual(self.pulled("carol meeting"), 1)
        self.assertEqual((self.account | self.bob | self.carol).mapped("state"), ["connected"] * 3)

    def test_run_killed_during_an_account_starts_with_the_others_next_time(self):
        """Odoo kills the worker while the slow account waits for its provider: that account's
        attempt was committed first, so the next run begins with the others."""
        self.assertIs(threading.current_thread(), threading.main_thread(), "signals need it")
        self.set_budget(run=60, account=30)  # the kill comes before any budget runs out
        self.make_slow(self.account)
        self.kill_when_request_arrives(f"Bearer {self.account.access_token}")
        # Not assertRaises: Odoo's rolls the database back to before the block.
        killed = False
        try:
            self.run_cron()
        except WorkerKilled:
            killed = True
        self.assertTrue(killed, "the worker was killed in the middle of the run")
        self.env.invalidate_all()
        attempted = self.account.last_attempt_date
        self.assertTrue(attempted, "stamped before the sync, kept through the kill")
        self.assertFalse(self.pulled("Alice's meeting"))

        self.google.faults.clear()
        self.set_budget(run=2, account=2)  # room for one account per run
        self.run_cron()
        self.assertEqual(self.pulled("bob meeting"), 1, "the next run started with Bob")
        self.assertEqual(self.account.last_attempt_date, attempted, "Alice was not first")

    def kill_when_request_arrives(self, authorization):
        """Raise WorkerKilled in this (main) thread as soon as the emulator receives a request
        carrying ``authorization``: the sync is then blocked waiting for the answer."""
        previous = signal.signal(signal.SIGUSR1, self._raise_killed)
        self.addCleanup(signal.signal, signal.SIGUSR1, previous)
        main = threading.main_thread().ident

        def watch():
            until = time.monotonic() + 30
            while time.monotonic() < until:
                seen = self.google.requests.snapshot()
                if any(r.headers.get("Authorization") == authorization for r in seen):
                    signal.pthread_kill(main, signal.SIGUSR1)
                    return
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        self.addCleanup(watcher.join)

    @staticmethod
    def _raise_killed(_signum, _frame):
        raise WorkerKilled()
