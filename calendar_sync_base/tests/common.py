import contextlib
import datetime as dt
import json
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import new_test_user
from odoo.tools import mute_logger


def insert_account(env, user, provider, state="connected"):
    """A connection of ``user`` to ``provider`` (the test case's), made through the ORM."""
    return (
        env["calendar.sync.account"]
        .sudo()
        .create({"user_id": user.id, "provider": provider, "state": state})
    )


# Where a failed account sync writes its one WARNING line.
ACCOUNT_LOGGER = "odoo.addons.calendar_sync_base.models.calendar_sync_account"


class ConnectAccessCaseMixin:
    """Each provider's OAuth tests (an HttpCase with an internal user ``alice`` whose login
    is ``alice_login``): only allowed internal users connect a calendar.

    Portal users, anonymous visitors and internal users outside the administrator's allowed
    group are refused on both routes, store nothing and see no side panel button.
    """

    provider = None
    alice_login = None

    def consented_callback(self, login):
        """The provider's redirect back to Odoo after ``login`` started and approved."""
        raise NotImplementedError

    def open_callback_in_background(self, callback, emulator, listing_path):
        """Follow the provider's redirect back: it stores the grant and wakes the cron, and
        lists nothing (the first sync is the cron's). Returns the connection."""
        cron = self.env.ref(
            f"calendar_sync_{self.provider}.calendar_sync_{self.provider}_cron_sync"
        )
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        emulator.requests.clear()
        response = self.url_open(callback, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/odoo/calendar"))
        self.assertFalse(emulator.requests.filter(path_regex=listing_path), "nothing listed")
        account = self.env["calendar.sync.account"].search([("user_id", "=", self.alice.id)])
        self.assertEqual(account.state, "connected")
        self.assertFalse(account.first_sync_done)
        self.assertTrue(account.sync_requested)
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1
        )
        [panel] = account.with_user(self.alice).get_sync_panel_state()
        self.assertEqual(panel["progress"], "First sync: starting")
        return account

    def run_cron_and_read_notifications(self):
        """Run the provider's scheduled action; the pop-up notifications it sent the user."""
        self.env["calendar.sync.account"]._cron_sync(self.provider)
        self.env.invalidate_all()  # the cron worked through a cursor of its own
        messages = [json.loads(message.message) for message in self.env["bus.bus"].search([])]
        return [
            message["payload"]["message"]
            for message in messages
            if message["type"] == "simple_notification"
        ]

    def assert_only_allowed_users_connect(self):
        # Odoo runs only the test methods a case class defines itself: each provider's case
        # calls this from its own test.
        routes = (
            f"/calendar_sync_{self.provider}/authorize",
            f"/calendar_sync_{self.provider}/authentication?state=forged&code=forged",
        )
        new_test_user(self.env, login=f"portal_{self.provider}", groups="base.group_portal")
        self.authenticate(f"portal_{self.provider}", f"portal_{self.provider}")
        self.assert_cannot_connect(routes)
        self.authenticate(None, None)
        self.assert_cannot_connect(routes)
        # Alice starts while every internal user may, then the administrator names a group.
        callback = self.consented_callback(self.alice_login)
        pilots = self.env["res.groups"].create({"name": "Calendar sync pilots"})
        self.env["ir.config_parameter"].set_param("calendar_sync.allowed_group_id", pilots.id)
        self.assert_cannot_connect((*routes, callback))
        self.assertFalse(self.env["calendar.sync.account"].search([]))
        accounts = self.env["calendar.sync.account"].with_user(self.alice)
        self.assertEqual(accounts.get_sync_panel_state(), [])
        pilots.users += self.alice
        panel = accounts.get_sync_panel_state()
        self.assertEqual([entry["provider"] for entry in panel], [self.provider])

    def assert_user_limit_refuses_newcomers(self, emulator):
        """With the provider's maximum of users reached, ``bob`` is refused on both routes
        with a plain page, before any request reaches the provider (``emulator``)."""
        insert_account(self.env, self.alice, self.provider)
        self.env["ir.config_parameter"].set_param(f"calendar_sync_{self.provider}.max_users", 1)
        emulator.requests.clear()
        self.authenticate(self.bob.login, self.bob.login)
        for route in (
            f"/calendar_sync_{self.provider}/authorize",
            f"/calendar_sync_{self.provider}/authentication?state=forged&code=forged",
        ):
            with self.subTest(route=route):
                response = self.url_open(route, allow_redirects=False)
                self.assertEqual(response.status_code, 403)
                self.assertIn("maximum number of users (1)", response.text)
        self.assertEqual(len(emulator.requests), 0)
        self.assertFalse(self.env["calendar.sync.account"].search([("user_id", "=", self.bob.id)]))

    def assert_cannot_connect(self, routes):
        """This session is refused on each route: a plain page saying why for a logged-in
        user, the login page for an anonymous visitor."""
        anonymous = not self.session.uid
        for route in routes:
            with self.subTest(route=route, anonymous=anonymous):
                response = self.url_open(route, allow_redirects=False)
                if anonymous:
                    self.assertEqual(response.status_code, 303)
                    self.assertIn("/web/login", response.headers["Location"])
                else:
                    self.assertEqual(response.status_code, 403)
                    self.assertIn("You are not allowed to connect a calendar", response.text)


def forget_saved_credentials(account):
    """Delete what a sync committed for ``account`` outside the test's transaction."""
    with account.env.registry.cursor() as cr:
        saved = api.Environment(cr, SUPERUSER_ID, {})["calendar.sync.credential"]
        saved.search([("account_id", "=", account.id)]).unlink()


def make_user(env, login, **kwargs):
    return new_test_user(
        env, login=login, groups="base.group_user", email=f"{login}@example.com", **kwargs
    )


class SyncCaseMixin:
    """What every provider's sync tests do: sync one account, make Odoo events, find links.

    The provider test case sets ``self.account``, ``self.user`` and ``self.now``.
    """

    def sync(self, account=None, expect_ok=True):
        account = account or self.account
        self.assertTrue(account._sync_try_lock())
        counts = account._sync_guarded()
        if expect_ok:
            self.assertIsNotNone(counts, f"sync failed: {account.last_error}")
        self.env.invalidate_all()
        return counts

    def odoo_event(self, name="Odoo meeting", hours_from_now=48, **vals):
        start = (self.now + dt.timedelta(hours=hours_from_now)).replace(tzinfo=None)
        return (
            self.env["calendar.event"]
            .with_user(self.user)
            .create({"name": name, "start": start, "stop": start + dt.timedelta(hours=1), **vals})
        )

    def remote_title(self, remote_id):
        """The remote event's title (each provider's test case says how to read it)."""
        raise NotImplementedError

    def set_remote_title(self, remote_id, title):
        raise NotImplementedError

    def new_remote(self, title):
        """A remote event created in the user's calendar; returns its remote id."""
        raise NotImplementedError

    def delete_remote(self, remote_id):
        raise NotImplementedError

    def remote_titles(self):
        """Titles of the events live in the user's remote calendar, sorted."""
        raise NotImplementedError

    def revoke_grant(self):
        """The provider stops accepting the stored authorization."""
        raise NotImplementedError

    def history(self, record, operation, direction="pull"):
        return self.env["calendar.sync.log"].search(
            [
                ("account_id", "=", self.account.id),
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("operation", "=", operation),
                ("direction", "=", direction),
            ]
        )

    def contest(self, policy):
        """The same event renamed on both sides between two syncs, under ``policy``.

        Returns (Odoo title, remote title) once the dust has settled.
        """
        self.env["ir.config_parameter"].set_param("calendar_sync.conflict_policy", policy)
        event = self.odoo_event("Contested")
        self.sync()
        remote_id = event.sudo().sync_link_ids.remote_id
        self.set_remote_title(remote_id, "Remote title")
        event.with_user(self.user).write({"name": "Odoo title"})
        self.sync()
        self.sync()
        return event.name, self.remote_title(remote_id)

    def linked(self, remote_id):
        """The Odoo event or series this account links to ``remote_id``."""
        link = self.env["calendar.sync.link"].search(
            [("account_id", "=", self.account.id), ("remote_id", "=", remote_id)]
        )
        return link.event_id or link.recurrence_id


class HistoryCaseMixin:
    """Revert, conflict history and the reconnect notice, the same for every provider.

    ``provider_label`` is how the provider is named to the user.
    """

    provider_label = ""
    allow_inherited_tests_method = True  # Odoo's loader runs only a class's own tests else

    def test_revert_of_a_pulled_update_restores_it_everywhere(self):
        remote_id = self.new_remote("Budget")
        self.sync()
        event = self.linked(remote_id)
        self.set_remote_title(remote_id, "Budget (cut)")
        self.sync()
        log = self.history(event, "update")
        self.assertEqual(
            log.revert_summary,
            "This will put back the previous Meeting Subject of Budget (cut) in Odoo and send "
            f"it to {self.provider_label}.",
        )
        log.action_revert()
        self.sync()
        self.assertEqual((event.name, self.remote_titles()), ("Budget", ["Budget"]))
        self.assertFalse(log.can_revert, "a change is reverted once")

    def test_revert_of_a_pulled_deletion_restores_the_same_event_once(self):
        remote_id = self.new_remote("Deleted by mistake")
        self.sync()
        event = self.linked(remote_id)
        self.delete_remote(remote_id)
        self.sync()
        self.assertFalse(event.active)
        log = self.history(event, "delete")
        self.assertEqual(
            log.revert_summary,
            f"This will restore Deleted by mistake in Odoo and create it again in "
            f"{self.provider_label}.",
        )
        log.action_revert()
        self.sync()
        self.sync()
        self.assertTrue(event.active)
        self.assertEqual(self.remote_titles(), ["Deleted by mistake"])
        copies = self.env["calendar.event"].with_context(active_test=False)
        self.assertEqual(copies.search_count([("name", "=", "Deleted by mistake")]), 1)
        self.assertTrue(event.sudo().sync_link_ids.remote_id, "linked to the new remote copy")

    def test_revert_of_a_pulled_creation_archives_it_and_says_where(self):
        remote_id = self.new_remote("Spam invite")
        self.sync()
        event = self.linked(remote_id)
        log = self.history(event, "create")
        self.assertEqual(
            log.revert_summary,
            f"This will archive Spam invite in Odoo and delete it from {self.provider_label}.",
        )
        log.action_revert()
        self.sync()
        self.assertFalse(event.active)
        self.assertEqual(self.remote_titles(), [])

    def test_pushed_changes_offer_no_revert(self):
        event = self.odoo_event("Mine")
        self.sync()
        event.with_user(self.user).write({"name": "Mine (renamed)"})
        self.sync()
        pushed = self.history(event, "create", "push") | self.history(event, "update", "push")
        self.assertEqual(len(pushed), 2)
        self.assertFalse(any(pushed.mapped("can_revert")))
        with self.assertRaises(UserError):
            pushed[0].action_revert()
        self.assertTrue(event.active)
        self.assertEqual(self.remote_titles(), ["Mine (renamed)"])

    def test_history_of_a_deleted_event_says_so_and_offers_no_revert(self):
        remote_id = self.new_remote("Gone")
        self.sync()
        event = self.linked(remote_id)
        log = self.history(event, "create")
        event.unlink()
        log.invalidate_recordset()
        self.assertEqual(log.record_label, "Gone (deleted)")
        self.assertFalse(log.record_ref)
        self.assertFalse(log.can_revert)

    def test_a_conflict_is_one_history_entry_with_both_values_rule_and_winner(self):
        self.assertEqual(self.contest("remote"), ("Remote title", "Remote title"))
        event = self.env["calendar.event"].search([("name", "=", "Remote title")])
        conflict = self.history(event, "conflict")
        self.assertEqual(len(conflict), 1)
        self.assertEqual(
            [(line.field_name, line.old_value, line.new_value) for line in conflict.line_ids],
            [("name", "Odoo title", "Remote title")],
        )
        self.assertEqual((conflict.conflict_policy, conflict.conflict_winner), ("remote", "remote"))
        self.assertIn(f"keeps {self.provider_label}'s values", conflict.message)
        self.assertFalse(conflict.can_revert)

    def test_newest_change_wins_says_when_each_side_changed(self):
        self.assertEqual(self.contest("newest"), ("Remote title", "Remote title"))
        event = self.env["calendar.event"].search([("name", "=", "Remote title")])
        conflict = self.history(event, "conflict")
        self.assertEqual((conflict.conflict_policy, conflict.conflict_winner), ("newest", "remote"))
        self.assertIn("the newest change wins", conflict.message)
        self.assertIn("changed in Odoo: ", conflict.message)

    @mute_logger(ACCOUNT_LOGGER)  # the failed sync's WARNING line
    def test_reconnect_notice_reaches_the_user_from_odoobot(self):
        """The sync runs in the user's own request (the Calendar button), and each user
        receives the notice the way they chose: Odoo's inbox or e-mail."""
        odoobot = self.env.ref("base.partner_root")
        for preference in ("inbox", "email"):
            with self.subTest(preference=preference):
                self.user.notification_type = preference
                self.revoke_grant()
                self.account.state = "connected"
                self.env["calendar.sync.account"].with_user(self.user).action_sync_button(
                    self.account.provider
                )
                self.assertEqual(self.account.state, "needs_reconnect")
                notice = self.env["mail.message"].search(
                    [("subject", "=", "Reconnect your calendar")], order="id desc", limit=1
                )
                self.assertEqual(notice.author_id, odoobot)
                notification = notice.notification_ids
                self.assertEqual(notification.res_partner_id, self.user.partner_id)
                self.assertEqual(notification.notification_type, preference)
                if preference == "inbox":
                    self.assertFalse(notification.is_read)
                    self.assertIn(notice, self.inbox_of(self.user))
                else:
                    self.assertIn(notification.notification_status, ("ready", "sent"))

    def inbox_of(self, user):
        return self.env["mail.message"].with_user(user).search([("needaction", "=", True)])


class SyncProblemsCases:
    """Pushes a provider refuses: counted, listed, retried, stopped (both providers).

    The provider test case implements ``refuse_updates(remote_id)`` (arms a lasting 4xx on
    updates of that remote event, returns the fault) and ``stop_refusing(fault)``.
    """

    def refuse_updates(self, remote_id):
        raise NotImplementedError

    def stop_refusing(self, fault):
        raise NotImplementedError

    def refused_event(self):
        event = self.odoo_event("Handed over")
        self.sync()
        remote_id = event.sudo().sync_link_ids.remote_id
        fault = self.refuse_updates(remote_id)
        event.with_user(self.user).write({"name": "Handed over (edited)"})
        counts = self.sync()
        self.assertEqual(counts.errors, 1)
        return event, remote_id, fault

    def panel_entry(self):
        panel = self.env["calendar.sync.account"].with_user(self.user).get_sync_panel_state()
        return next(entry for entry in panel if entry["provider"] == self.account.provider)

    def test_refused_push_shows_as_a_problem_until_a_change_is_pushed(self):
        event, remote_id, fault = self.refused_event()
        entry = self.panel_entry()
        self.assertEqual((entry["state"], entry["problem_count"]), ("connected", 1))
        self.assertIn("403", event.with_user(self.user).sync_problem)
        self.assertFalse(event.sudo().sync_link_ids.need_push, "not retried on every run")
        self.sync()
        self.assertEqual(self.account.problem_count, 1, "the problem stays until resolved")
        self.stop_refusing(fault)
        event.with_user(self.user).write({"name": "Handed over (again)"})
        self.assertTrue(event.sudo().sync_link_ids.need_push, "a change queues it again")
        self.sync()
        self.assertEqual(self.remote_title(remote_id), "Handed over (again)")
        self.assertEqual(self.account.problem_count, 0)
        self.assertFalse(event.with_user(self.user).sync_problem)

    def test_problem_list_and_retry(self):
        event, remote_id, fault = self.refused_event()
        other = self.odoo_event("Fine")
        self.sync()
        action = self.account.with_user(self.user).action_open_problems()
        listed = self.env["calendar.event"].with_user(self.user).search(action["domain"])
        self.assertEqual(listed, event)
        self.stop_refusing(fault)
        event.with_user(self.user).action_sync_retry()
        self.env.invalidate_all()
        self.assertEqual(self.remote_title(remote_id), "Handed over (edited)")
        self.assertEqual(self.account.problem_count, 0)
        self.assertTrue(other.sudo().sync_link_ids.remote_id)

    def test_stop_syncing_a_refused_event(self):
        event, remote_id, _fault = self.refused_event()
        event.with_user(self.user).action_sync_stop_problems()
        link = event.sudo().sync_link_ids
        self.assertTrue(link.stopped)
        self.assertFalse(event[f"sync_with_{self.account.provider}"])
        self.assertEqual(self.account.problem_count, 0)
        self.assertEqual(self.panel_entry()["problem_count"], 0)
        self.sync()
        self.assertFalse(self.remote_exists(remote_id), "the copy Odoo created is deleted")


class HonestStateCases:
    """What the user and the administrators are told (both providers).

    The provider test case implements ``drop_next_batch()`` (the next push request gets no
    answer at all).
    """

    def drop_next_batch(self):
        raise NotImplementedError

    def misconfiguration_notices(self):
        admins = self.env.ref("base.group_system").users
        return self.env["mail.message"].search_count(
            [
                ("partner_ids", "in", admins.partner_id.ids),
                ("subject", "ilike", "misconfigured"),
            ]
        )

    @mute_logger(ACCOUNT_LOGGER)  # the failed sync's WARNING line
    def test_configuration_error_tells_the_administrators_once(self):
        params = self.env["ir.config_parameter"].sudo()
        key = f"calendar_sync_{self.account.provider}.client_id"
        client_id = params.get_param(key)
        params.set_param(key, "")
        self.sync(expect_ok=False)
        self.assertIn("An administrator has been notified", self.account.last_error)
        self.assertEqual(self.misconfiguration_notices(), 1)
        self.sync(expect_ok=False)
        answer = (
            self.env["calendar.sync.account"]
            .with_user(self.user)
            .action_sync_button(self.account.provider)
        )
        self.assertIn("An administrator has been notified", answer["message"])
        self.assertEqual(self.misconfiguration_notices(), 1, "not on every run")
        params.set_param(key, client_id)
        self.sync()
        params.set_param(key, "")
        self.sync(expect_ok=False)
        self.assertEqual(self.misconfiguration_notices(), 2, "broken again after a fix")

    def test_push_without_answer_is_stored_in_plain_words(self):
        event = self.odoo_event("Unanswered")
        self.sync()
        event.with_user(self.user).write({"name": "Unanswered (edited)"})
        self.drop_next_batch()
        counts = self.sync()
        self.assertEqual(counts.errors, 1)
        link = event.sudo().sync_link_ids
        self.assertEqual(
            link.push_error,
            "The calendar service failed to answer; it will be retried on the next run.",
        )
        self.assertTrue(link.need_push, "still queued")

    def test_replayed_update_whose_answer_was_lost_is_no_conflict(self):
        # Only push: the pull would otherwise read the new version before the push.
        self.env["ir.config_parameter"].set_param("calendar_sync.direction", "to_remote")
        event = self.odoo_event("Replayed")
        self.sync()
        remote_id = event.sudo().sync_link_ids.remote_id
        event.with_user(self.user).write({"name": "Replayed (edited)"})
        # The update reached the provider but its answer did not reach Odoo: the remote copy
        # has our edit and a version Odoo does not know.
        self.set_remote_title(remote_id, "Replayed (edited)")
        counts = self.sync()
        self.assertEqual((counts.conflicts, counts.pushed_updated), (0, 1))
        self.assertFalse(event.sudo().sync_link_ids.need_push)
        self.assertEqual(self.sync().pushed, 0, "settled")
        event.with_user(self.user).write({"name": "Replayed (again)"})
        self.set_remote_title(remote_id, "Changed remotely")
        self.assertEqual(self.sync().conflicts, 1, "a real concurrent edit still counts")


class WorkerKilled(BaseException):
    """Stands for the cron worker dying: nothing in the sync may catch it."""


class PagedPullCases:
    """A long remote listing, pulled by the scheduled action one committed page at a time.

    The provider test case (a ``SyncCaseMixin``) gives ``emulator``, ``listing_path`` (a
    regex of its listing requests) and ``resumed(request)``: whether a listing request went on
    from a page token.
    """

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
        self.assertEqual(len(self.emulator.requests.filter(path_regex=self.listing_path)), 3)
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

        self.emulator.requests.clear()
        self.run_cron()
        self.assertEqual(self.pulled_titles(), [f"Remote {number}" for number in range(1, 6)])
        listings = self.emulator.requests.filter(path_regex=self.listing_path)
        self.assertEqual(len(listings), 2, "pages 2 and 3 only")
        self.assertTrue(self.resumed(listings[0]))
        self.assertTrue(self.account.first_sync_done)
        [summary] = self.env["calendar.sync.log"].search(
            [("account_id", "=", self.account.id), ("operation", "=", "import")]
        )
        self.assertEqual(len(summary.detail_ids), 5, "the resumed listing's entry, not a new one")


PUBLIC_HOST = "odoo.example.com"


class PushCaseMixin:
    """Odoo at a public https address (push notifications on) that the provider's emulator
    reaches on the test server, as DNS would route the real service (``webhook_hosts``).

    For an ``HttpCase`` whose ``emulator`` property is the provider's emulator. Notifications
    the emulator records are posted by the test itself (``post``), in the test's thread: an
    emulator thread posting on its own would share the test's database connection with it.
    """

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", f"https://{PUBLIC_HOST}")
        self.emulator.webhook_hosts = {PUBLIC_HOST: self.base_url()}
        self.emulator.deliver_notifications = False
        self.addCleanup(setattr, self.emulator, "webhook_hosts", {})

    def maintain_channels(self):
        """The hourly channel cron; the provider may call Odoo back meanwhile (validation)."""
        self.env.flush_all()
        self.env["calendar.sync.channel"]._cron_push_channels()
        self.env.invalidate_all()

    def channels(self):
        return self.account.sudo().push_channel_ids

    def post(self, path, headers=None, data=b"", params=None):
        """POST to Odoo's test server as the provider does (no session, no CSRF token)."""
        self.env.flush_all()
        response = self.opener.post(
            self.base_url() + path, data=data, headers=headers, params=params, timeout=10
        )
        self.env.invalidate_all()
        return response

    def cron_triggers(self, provider):
        cron = self.env.ref(f"calendar_sync_{provider}.calendar_sync_{provider}_cron_sync")
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
