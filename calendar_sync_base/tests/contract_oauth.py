"""Contract suites of the providers a user connects through an OAuth redirect
(``_sync_connect_kind = "oauth_redirect"``): the consent round trip and who may make it, and
the OAuth settings. A provider connecting otherwise does not run them (it has no consent
route, no OAuth client): the fake provider and any credentials provider say so by their
capability, which ``setUp`` checks.

The provider's ``HttpCase`` sets ``provider``, ``emulator`` (its emulator: ``requests`` log),
``authorize_route`` / ``callback_route`` (its two routes), ``listing_path`` (a regex of its
listing requests), ``seeded_title`` (an event its emulator holds for ``alice`` before she
connects), the users ``alice`` (login ``alice_login``) and ``bob``, and answers
``consented_callback(login)``: the provider's redirect back to Odoo after ``login`` started
and approved the consent.
"""

import json
from urllib.parse import parse_qs, urlencode

from odoo.tests import new_test_user
from odoo.tools import mute_logger

from .common import insert_account


class OAuthCaseMixin:
    """What the OAuth contracts share: the connect kind they apply to."""

    provider = None

    def setUp(self):
        super().setUp()
        provider = self.env["calendar.sync.account"]._sync_provider(self.provider)
        self.assertEqual(provider._sync_connect_kind, "oauth_redirect", "an OAuth provider")


class OAuthConnectContract(OAuthCaseMixin):
    """The consent round trip: it stores the grant and leaves the first sync to the cron;
    only allowed internal users make it, with a state bound to their session."""

    allow_inherited_tests_method = True  # Odoo's loader runs only a class's own tests else

    alice_login = None
    authorize_route = None
    callback_route = None
    listing_path = None
    seeded_title = None

    def consented_callback(self, login):
        raise NotImplementedError

    def check_stored_grant(self, account):
        """Provider-specific checks of what the callback stored (the tokens)."""
        raise NotImplementedError

    def cron_triggers(self):
        cron = self.env["calendar.sync.account"]._sync_cron(self.provider)
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

    def test_consent_connects_and_schedules_the_first_sync(self):
        callback = self.consented_callback(self.alice_login)
        triggers = self.cron_triggers()
        self.emulator.requests.clear()
        response = self.url_open(callback, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/odoo/calendar"))
        listed = self.emulator.requests.filter(path_regex=self.listing_path)
        self.assertFalse(listed, "nothing listed: the first sync is the cron's")
        account = self.env["calendar.sync.account"].search([("user_id", "=", self.alice.id)])
        self.assertEqual((account.provider, account.state), (self.provider, "connected"))
        self.assertEqual(account.remote_email, self.alice.email, "the account signed in")
        self.check_stored_grant(account)
        self.assertFalse(account.first_sync_done)
        self.assertTrue(account.sync_requested)
        self.assertEqual(self.cron_triggers(), triggers + 1)
        [panel] = account.with_user(self.alice).get_sync_panel_state()
        self.assertEqual(panel["progress"], "First sync: starting")

        notifications = self.run_cron_and_read_notifications()
        self.assertTrue(account.first_sync_done)
        self.assertTrue(self.env["calendar.event"].search([("name", "=", self.seeded_title)]))
        label = account._sync_provider()._sync_label()
        self.assertEqual(notifications, [f"{label} connected: 1 events imported, 0 sent"])

    def test_side_panel_sends_an_unconnected_user_to_consent(self):
        """Once the user chose what happens to their events with guests, where the
        provider would e-mail those guests (``_sync_pushes_silently`` false)."""
        accounts = self.env["calendar.sync.account"].with_user(self.alice)
        panel = accounts.get_sync_panel_state()
        self.assertEqual(
            [(p["provider"], p["state"]) for p in panel], [(self.provider, "disconnected")]
        )
        answer = accounts.action_sync_button(self.provider)
        if not accounts._sync_provider_pushes_silently(self.provider):
            self.assertEqual(answer["status"], "choose_existing_guests")
            answer = accounts.action_sync_button(self.provider, "without_guests")
        self.assertEqual(answer, {"status": "redirect", "url": self.authorize_route})

    def test_state_issued_to_another_user_is_refused(self):
        callback = self.consented_callback(self.alice_login)
        self.authenticate(self.bob.login, self.bob.login)
        with mute_logger("odoo.http"):
            response = self.url_open(callback, allow_redirects=False)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.env["calendar.sync.account"].search([]))

    def test_tampered_state_is_refused(self):
        callback = self.consented_callback(self.alice_login)
        path, _sep, query = callback.partition("?")
        params = {key: values[0] for key, values in parse_qs(query).items()}
        forged = f"{path}?{urlencode({'code': params['code'], 'state': params['state'][::-1]})}"
        with mute_logger("odoo.http"):
            response = self.url_open(forged, allow_redirects=False)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.env["calendar.sync.account"].search([]))

    def test_only_allowed_internal_users_may_connect(self):
        """Portal users, anonymous visitors and internal users outside the administrator's
        allowed group are refused on both routes, store nothing and see no side panel
        button."""
        routes = (self.authorize_route, f"{self.callback_route}?state=forged&code=forged")
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

    def test_user_limit_refuses_a_new_user_before_any_request(self):
        """With the provider's maximum of users reached, ``bob`` is refused on both routes
        with a plain page, before any request reaches the provider."""
        insert_account(self.env, self.alice, self.provider)
        self.env["ir.config_parameter"].set_param(f"calendar_sync_{self.provider}.max_users", 1)
        self.emulator.requests.clear()
        self.authenticate(self.bob.login, self.bob.login)
        for route in (self.authorize_route, f"{self.callback_route}?state=forged&code=forged"):
            with self.subTest(route=route):
                response = self.url_open(route, allow_redirects=False)
                self.assertEqual(response.status_code, 403)
                self.assertIn("maximum number of users (1)", response.text)
        self.assertEqual(len(self.emulator.requests), 0)
        self.assertFalse(self.env["calendar.sync.account"].search([("user_id", "=", self.bob.id)]))

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


class OAuthSettingsContract(OAuthCaseMixin):
    """The OAuth client settings: the secret is kept and never sent back; the redirect URI
    the administrator registers follows Odoo's address.

    The provider's ``TransactionCase`` sets ``provider``, ``callback_route``,
    ``settings_values`` (what an administrator types on the settings form, among them the
    client secret ``secret``), the system parameter keeping the secret (``secret_param``)
    and its settings fields: ``secret_field``, ``secret_set_field`` (whether one is kept),
    ``redirect_uri_field``."""

    allow_inherited_tests_method = True

    callback_route = None
    settings_values = None
    secret = None
    secret_param = None
    secret_field = None
    secret_set_field = None
    redirect_uri_field = None

    def test_secret_is_saved_but_never_sent_back(self):
        self.env["res.config.settings"].create(self.settings_values).execute()
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param(self.secret_param), self.secret)
        values = self.env["res.config.settings"].default_get(
            [self.secret_field, self.secret_set_field]
        )
        self.assertFalse(values[self.secret_field])
        self.assertTrue(values[self.secret_set_field])

    def test_saving_without_typing_a_secret_keeps_the_old_one(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(self.secret_param, "kept")
        values = {k: v for k, v in self.settings_values.items() if k != self.secret_field}
        self.env["res.config.settings"].create(values).execute()
        self.assertEqual(params.get_param(self.secret_param), "kept")

    def test_redirect_uri_follows_web_base_url(self):
        self.env["ir.config_parameter"].set_param("web.base.url", "https://erp.example.com")
        expected = f"https://erp.example.com{self.callback_route}"
        field = self.redirect_uri_field
        self.assertEqual(self.env["res.config.settings"].create({})[field], expected)
        # The settings form opens through onchange on a new record, not a saved one.
        form = self.env["res.config.settings"].onchange({}, [], {field: {}, "company_id": {}})
        self.assertEqual(form["value"][field], expected)
