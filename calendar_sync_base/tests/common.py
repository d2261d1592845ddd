import datetime as dt

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


def requires(capability):
    """A contract test that only applies to providers with ``capability`` (a boolean of the
    adapter, see ``SyncCaseMixin``)."""

    def mark(test):
        test.contract_requires = capability
        return test

    return mark


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
    - ``new_full_remote()``: an event "Quarterly review" the user organizes with a value in
      every field Odoo maps: description "<p>Agenda: <b>numbers</b></p>", location "Room
      4", private, shown as free, the guest Bob (bob@example.org) who answered "maybe", a
      popup reminder 15 minutes before, a video call link (if ``maps_video_links``); its
      remote id.
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

    ``refused_update_detail``: what the provider's refusal of ``refuse_updates`` says, shown
    to the user. Capabilities a few contract tests need (``requires``), True unless the
    adapter says its provider lacks them; such a test is then not collected:
    - ``relists_periodically``: an old cursor is restarted by a full listing
      (the provider's ``_sync_cursor_max_age``).
    - ``maps_video_links``: a remote event's video call link reaches Odoo.
    """

    provider_label = ""
    refused_update_detail = "403"
    relists_periodically = True
    maps_video_links = True

    def __init_subclass__(cls, **kwargs):  # pylint: disable=missing-return
        super().__init_subclass__(**kwargs)
        for name in dir(cls):
            needed = getattr(getattr(cls, name, None), "contract_requires", None)
            if name.startswith("test_") and needed and not getattr(cls, needed, True):
                setattr(cls, name, None)  # the provider cannot do what the test checks

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

    def new_full_remote(self):
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
