from urllib.parse import parse_qs, urlsplit

import requests

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.common import ConnectAccessCaseMixin

from .common import point_odoo_at, start_emulator


@tagged("post_install", "-at_install")
class TestMicrosoftOAuth(ConnectAccessCaseMixin, HttpCase):
    provider = "microsoft"
    alice_login = "alice_msoauth"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.microsoft = start_emulator(cls)
        point_odoo_at(cls.env, cls.microsoft)
        cls.alice = new_test_user(cls.env, login="alice_msoauth", email="alice@example.com")
        cls.bob = new_test_user(cls.env, login="bob_msoauth", email="bob@example.com")

    def setUp(self):
        super().setUp()
        self.microsoft.reset()
        self.microsoft.auto_approve = True
        self.microsoft.add_account("alice@example.com", "Alice")
        self.microsoft.insert_event(
            "alice@example.com",
            {
                "subject": "Already in Outlook",
                "start": {"dateTime": "2027-01-07T09:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2027-01-07T10:00:00", "timeZone": "UTC"},
            },
        )

    def consent(self, login):
        """Start in Odoo, approve on the emulator: the redirect URL back to Odoo."""
        self.authenticate(login, login)
        response = self.url_open("/calendar_sync_microsoft/authorize", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        authorize_url = response.headers["Location"]
        self.assertTrue(
            authorize_url.startswith(f"{self.microsoft.url}/common/oauth2/v2.0/authorize")
        )
        query = parse_qs(urlsplit(authorize_url).query)
        self.assertEqual(query["code_challenge_method"], ["S256"])
        self.assertEqual(
            query["redirect_uri"], [f"{self.base_url()}/calendar_sync_microsoft/authentication"]
        )
        answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
        return answer.headers["Location"]

    def test_consent_connects_through_msal_and_schedules_the_first_sync(self):
        callback = self.consent("alice_msoauth")
        account = self.open_callback_in_background(
            callback, self.microsoft, "/events|/calendarView"
        )
        self.assertEqual(account.provider, "microsoft")
        self.assertEqual(account.remote_email, "alice@example.com")
        self.assertIn("RefreshToken", account.token_cache)

        notifications = self.run_cron_and_read_notifications()
        self.assertTrue(account.first_sync_done)
        self.assertTrue(self.env["calendar.event"].search([("name", "=", "Already in Outlook")]))
        self.assertEqual(notifications, ["Outlook connected: 1 events imported, 0 sent"])

    def test_redirect_in_another_users_session_is_refused(self):
        callback = self.consent("alice_msoauth")
        self.authenticate("bob_msoauth", "bob_msoauth")
        with mute_logger("odoo.http"):
            response = self.url_open(callback, allow_redirects=False)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.env["calendar.sync.account"].search([]))

    def test_tampered_state_is_refused(self):
        callback = self.consent("alice_msoauth")
        parts = urlsplit(callback)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        query["state"] = query["state"][::-1]
        forged = f"{parts.path}?code={query['code']}&state={query['state']}"
        with mute_logger("odoo.http"):
            response = self.url_open(forged, allow_redirects=False)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.env["calendar.sync.account"].search([]))

    def test_only_allowed_internal_users_may_connect(self):
        self.assert_only_allowed_users_connect()

    def test_user_limit_refuses_a_new_user_before_any_request(self):
        self.assert_user_limit_refuses_newcomers(self.microsoft)

    def consented_callback(self, login):
        return self.consent(login)
