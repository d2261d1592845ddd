import datetime as dt

from odoo import SUPERUSER_ID, api
from odoo.tests import new_test_user


def insert_account(env, user, provider="test_provider", state="connected"):
    """An account row for a provider the base addon does not know.

    The base addon declares no provider value (each provider addon adds its own), so its
    tests write the row directly; everything they exercise is provider-agnostic.
    """
    env.cr.execute(
        """
        INSERT INTO calendar_sync_account
               (user_id, provider, state, active, send_updates, first_sync_done, queued_count,
                queue_existing, create_uid, write_uid, create_date, write_date)
        VALUES (%s, %s, %s, true, 'all', false, 0, true, 1, 1, now(), now())
        RETURNING id
        """,
        [user.id, provider, state],
    )
    return env["calendar.sync.account"].browse(env.cr.fetchone()[0])


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
