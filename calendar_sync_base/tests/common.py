import datetime as dt
import json

from odoo import SUPERUSER_ID, api
from odoo.tests import new_test_user


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
    """What every provider's sync tests do: sync one account, make Odoo events, find links;
    and the adapter through which the contract suites (``contract_*.py``) drive a provider.

    The provider test case sets ``self.account``, ``self.user`` and ``self.now``, the
    attributes ``provider_label`` (how the provider is named to the user) and
    ``revoked_grant_detail`` (what the provider's refusal of a revoked grant says, kept in the
    sync history), and answers:

    The user's remote calendar:
    - ``new_remote(title, hours_from_now=24)``: a one-hour event the user organizes,
      created remotely; returns its remote id.
    - ``new_invitation(title, organizer, hours_from_now=24)``: the same, organized by the
      address ``organizer`` with the user invited; returns its remote id.
    - ``remote_title(remote_id)`` / ``set_remote_title(remote_id, title)``,
      ``remote_location(remote_id)`` / ``set_remote_location(remote_id, location)``: read or
      edit the remote event as someone else would (not through Odoo).
    - ``my_remote_answer(remote_id)``: the user's answer to an invitation as the provider
      holds it, in its own words ("accepted" once accepted).
    - ``delete_remote(remote_id)``; ``remote_exists(remote_id)``: still live (not deleted
      nor cancelled).
    - ``remote_titles()``: titles of the events live in the user's remote calendar, sorted.
    - ``new_rich_remote()``: an event "Supplier call" with what Odoo does not hold (a time
      zone of its own, a structured location, an optional guest and a room); its remote id.
    - ``remote_resource(remote_id)``: all the provider holds of the event but its title and
      what it changes on every write (version, modification time).
    - ``remote_guests(remote_id)``: ``{email: (kind, answer)}`` of its guests but the user;
      kind "required", "optional" or "resource", answer in the provider's words.
    - ``new_remote_series(title, first_day, count)``: a daily series of ``count`` at 09:00
      Europe/Brussels from the date ``first_day``, created remotely; its master's remote id.
    - ``remote_occurrences(master_id)``: ``[(start, title)]`` of the series' live
      occurrences, start in naive UTC as Odoo stores it, sorted.
    - ``move_remote_occurrence(master_id, original_start, new_start, title)``: someone else
      edits the occurrence of the series that starts at ``original_start`` (naive UTC): it
      takes ``title`` and moves to ``new_start`` (naive UTC), keeping its length.

    What the provider does:
    - ``revoke_grant()``: stops accepting the stored authorization; ``holds_grant()``:
      whether Odoo keeps one for the account; ``reconnect()``: the user connects again (a new
      grant, state connected).
    - ``expire_cursor()``: refuses the account's sync cursor, as after a long disconnection.
    - ``throttle_next_push()``: answers the next push "too many requests" (retry at once).
    - ``refuse_updates(remote_id)``: refuses every update of that event for good (a 403);
      returns a handle that ``stop_refusing(handle)`` takes.
    - ``drop_next_batch()``: leaves push requests without any answer.
    - ``break_configuration()`` / ``repair_configuration()``: the administrator's settings
      for the provider become unusable / usable again.

    What Odoo sent it, since ``forget_requests()``:
    - ``listings()``: the listing requests, in order; ``incremental(listing)``: that listing
      went on from a sync cursor; ``resumed(listing)``: it went on from a page token.
    - ``updates_sent()``: how many event updates Odoo sent.
    """

    provider_label = ""

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

    # The adapter (see the class docstring): each provider's test case answers these.
    def new_remote(self, title, hours_from_now=24):
        raise NotImplementedError

    def new_invitation(self, title, organizer, hours_from_now=24):
        raise NotImplementedError

    def remote_title(self, remote_id):
        raise NotImplementedError

    def set_remote_title(self, remote_id, title):
        raise NotImplementedError

    def remote_location(self, remote_id):
        raise NotImplementedError

    def set_remote_location(self, remote_id, location):
        raise NotImplementedError

    def my_remote_answer(self, remote_id):
        raise NotImplementedError

    def delete_remote(self, remote_id):
        raise NotImplementedError

    def remote_exists(self, remote_id):
        raise NotImplementedError

    def remote_titles(self):
        raise NotImplementedError

    def new_rich_remote(self):
        raise NotImplementedError

    def remote_resource(self, remote_id):
        raise NotImplementedError

    def remote_guests(self, remote_id):
        raise NotImplementedError

    def new_remote_series(self, title, first_day, count):
        raise NotImplementedError

    def remote_occurrences(self, master_id):
        raise NotImplementedError

    def move_remote_occurrence(self, master_id, original_start, new_start, title):
        raise NotImplementedError

    def revoke_grant(self):
        raise NotImplementedError

    def holds_grant(self):
        raise NotImplementedError

    def reconnect(self):
        raise NotImplementedError

    def expire_cursor(self):
        raise NotImplementedError

    def throttle_next_push(self):
        raise NotImplementedError

    def refuse_updates(self, remote_id):
        raise NotImplementedError

    def stop_refusing(self, handle):
        raise NotImplementedError

    def drop_next_batch(self):
        raise NotImplementedError

    def break_configuration(self):
        raise NotImplementedError

    def repair_configuration(self):
        raise NotImplementedError

    def forget_requests(self):
        raise NotImplementedError

    def listings(self):
        raise NotImplementedError

    def incremental(self, listing):
        raise NotImplementedError

    def resumed(self, listing):
        raise NotImplementedError

    def updates_sent(self):
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


class WorkerKilled(BaseException):
    """Stands for the cron worker dying: nothing in the sync may catch it."""


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
