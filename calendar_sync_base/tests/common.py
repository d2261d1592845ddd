import datetime as dt

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
